-- The durable outbox of outgoing mail (Email module): a row per message, written in the transaction of the change
-- that calls for it, delivered by a dispatcher on any node that leases it, retried with back-off until sent or
-- given up (status 'failed', with the last error). Message-ID is fixed at enqueue so replies can be threaded.

CREATE TABLE IF NOT EXISTS sp_mail_outbox
(
    id                 text   PRIMARY KEY,
    message_id         text   NOT NULL,
    to_address         text   NOT NULL,
    subject            text   NOT NULL,
    text_body          text   NOT NULL,
    html_body          text   NULL,
    purpose            text   NOT NULL,
    headers            text   NULL,
    status             text   NOT NULL,
    attempts           int    NOT NULL,
    next_attempt_at_ms bigint NOT NULL,
    lease_until_ms     bigint NULL,
    last_error         text   NULL,
    created_at_ms      bigint NOT NULL,
    sent_at_ms         bigint NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_mail_outbox_due ON sp_mail_outbox (status, next_attempt_at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_mail_outbox_message_id ON sp_mail_outbox (message_id);
