-- Tickets: one row per ticket (the read model lists and queues use, plus the ticket grain's state in
-- "state"), and the ticket's events. The grain writes its row and its new events in one transaction,
-- so the read model can never disagree with the grain after a crash.

-- Ticket numbers, allocated before the ticket exists (so an API retry can re-use its number).
CREATE TABLE IF NOT EXISTS sp_ticket_ids
(
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    allocated_at_ms bigint NOT NULL
);
-- Numbers start at 1001: "#1001" reads as a ticket, "#1" as a typo.
INSERT INTO sqlite_sequence (name, seq)
SELECT 'sp_ticket_ids', 1000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'sp_ticket_ids');

CREATE TABLE IF NOT EXISTS sp_tickets
(
    id                   bigint PRIMARY KEY,
    account_id           text   NOT NULL,
    requester_id         text   NOT NULL,
    channel              text   NOT NULL,
    type                 text   NULL,
    priority             int    NOT NULL,
    status               text   NOT NULL,
    subject              text   NOT NULL,
    group_name           text   NULL,
    agent_id             text   NULL,
    tags                 text   NOT NULL,
    escalation_level     int    NOT NULL,
    merged_into          bigint NULL,
    created_at_ms        bigint NOT NULL,
    updated_at_ms        bigint NOT NULL,
    first_response_at_ms bigint NULL,
    resolved_at_ms       bigint NULL,
    closed_at_ms         bigint NULL,
    next_due_at_ms       bigint NULL,
    breached             int    NOT NULL,
    version              bigint NOT NULL,
    state                BLOB   NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_tickets_queue ON sp_tickets (status, priority, next_due_at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_tickets_account ON sp_tickets (account_id, created_at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_tickets_agent ON sp_tickets (agent_id, status);
CREATE INDEX IF NOT EXISTS ix_sp_tickets_group ON sp_tickets (group_name, status);
CREATE INDEX IF NOT EXISTS ix_sp_tickets_updated ON sp_tickets (updated_at_ms);

CREATE TABLE IF NOT EXISTS sp_ticket_events
(
    ticket_id  bigint NOT NULL,
    seq        bigint NOT NULL,
    at_ms      bigint NOT NULL,
    kind       text   NOT NULL,
    actor_kind text   NOT NULL,
    actor_id   text   NOT NULL,
    data       text   NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

CREATE INDEX IF NOT EXISTS ix_sp_ticket_events_kind_at ON sp_ticket_events (kind, at_ms);
