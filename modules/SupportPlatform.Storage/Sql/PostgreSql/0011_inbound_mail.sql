-- Inbound mail (Email module). Every message a mail adapter hands over is stored here whole, under its import key
-- (the normalised Message-ID, or "sha256:<hex>" of the content when it has none), before anything else happens:
-- the unique key makes a re-offered message a duplicate, and rows left in state 'stored' by a crash are processed
-- again at start. The planned outcome (ticket number, target ticket) is written before the ticket change, so a
-- re-run repeats the same idempotent change instead of a different one.
CREATE TABLE IF NOT EXISTS sp_inbound_mail
(
    id               text   PRIMARY KEY,
    import_key       text   NOT NULL,
    source_id        text   NOT NULL,
    source_key       text   NULL,
    message_id       text   NULL,
    thread_index     text   NULL,
    from_address     text   NULL,
    envelope_from    text   NULL,
    subject          text   NULL,
    size             bigint NOT NULL,
    original_size    bigint NULL,
    raw              bytea  NOT NULL,
    received_at_ms   bigint NOT NULL,
    stored_at_ms     bigint NOT NULL,
    state            text   NOT NULL,
    plan             text   NULL,
    ticket_id        bigint NULL,
    account_id       text   NULL,
    disposition      text   NULL,
    reason           text   NULL,
    hold             text   NULL,
    ignore_hold      text   NULL,
    resolved_by      text   NULL,
    resolved_at_ms   bigint NULL,
    processed_at_ms  bigint NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS ux_sp_inbound_mail_key ON sp_inbound_mail (import_key);
CREATE INDEX IF NOT EXISTS ix_sp_inbound_mail_state ON sp_inbound_mail (state);
CREATE INDEX IF NOT EXISTS ix_sp_inbound_mail_message_id ON sp_inbound_mail (message_id);
CREATE INDEX IF NOT EXISTS ix_sp_inbound_mail_thread_index ON sp_inbound_mail (thread_index);
CREATE INDEX IF NOT EXISTS ix_sp_inbound_mail_hold ON sp_inbound_mail (hold, stored_at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_inbound_mail_source ON sp_inbound_mail (source_id, disposition);

-- What each source last reported (IInboundMailSink.ReportSourceStatusAsync), for reconciliation.
CREATE TABLE IF NOT EXISTS sp_inbound_sources
(
    source_id          text   PRIMARY KEY,
    description        text   NOT NULL,
    messages_at_source bigint NULL,
    checked_at_ms      bigint NOT NULL,
    error              text   NULL,
    reported_at_ms     bigint NOT NULL
);

-- Per correspondent address: bounces (the address is marked for staff) and the durable auto-reply counter.
CREATE TABLE IF NOT EXISTS sp_mail_addresses
(
    address                text   PRIMARY KEY,
    bounced_at_ms          bigint NULL,
    bounce_status          text   NULL,
    bounce_reason          text   NULL,
    bounce_count           int    NOT NULL,
    auto_reply_window_ms   bigint NOT NULL,
    auto_reply_count       int    NOT NULL
);

-- Email domains of client accounts (Accounts module), written with the account: a domain belongs to one account.
CREATE TABLE IF NOT EXISTS sp_account_email_domains
(
    domain     text PRIMARY KEY,
    account_id text NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_sp_account_email_domains_account ON sp_account_email_domains (account_id);
