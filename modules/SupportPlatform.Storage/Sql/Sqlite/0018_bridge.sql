-- Help desk bridge (Bridge module): imports from Zendesk, Freshdesk... and two-way sync of bridged tickets.

-- What a record of a help desk is here: kind organization -> account id, user -> contact (client user) id,
-- ticket -> ticket number, comment -> comment id. One local record per external one and the other way round.
CREATE TABLE IF NOT EXISTS sp_bridge_links
(
    system        text   NOT NULL,
    kind          text   NOT NULL,
    external_id   text   NOT NULL,
    local_id      text   NOT NULL,
    created_at_ms bigint NOT NULL,
    PRIMARY KEY (system, kind, external_id)
);

CREATE UNIQUE INDEX IF NOT EXISTS ix_sp_bridge_links_local ON sp_bridge_links (system, kind, local_id);

-- Each bridged ticket with the status and assignee both sides last agreed on: the base of the three-way merge that
-- tells which side changed (and so keeps changes we wrote ourselves from coming back as echoes).
CREATE TABLE IF NOT EXISTS sp_bridge_tickets
(
    system                 text   NOT NULL,
    external_id            text   NOT NULL,
    ticket_id              bigint NOT NULL,
    base_status            text   NOT NULL,
    base_assignee          text   NOT NULL,
    external_updated_at_ms bigint NOT NULL,
    synced_at_ms           bigint NOT NULL,
    PRIMARY KEY (system, external_id)
);

CREATE UNIQUE INDEX IF NOT EXISTS ix_sp_bridge_tickets_ticket ON sp_bridge_tickets (ticket_id);

-- One import per help desk: where it stands (phase and the API's cursor, stored after every page, so a restart
-- resumes there), what it brought over, and a lease so that one node of a cluster works on it at a time.
-- state: idle, running, paused, caught-up (imported; polling for later changes), failed.
CREATE TABLE IF NOT EXISTS sp_bridge_imports
(
    system           text   PRIMARY KEY,
    state            text   NOT NULL,
    phase            text   NOT NULL,
    cursor_value     text   NULL,
    since_ms         bigint NOT NULL,
    organizations    bigint NOT NULL,
    users            bigint NOT NULL,
    tickets          bigint NOT NULL,
    comments         bigint NOT NULL,
    attachments      bigint NOT NULL,
    skipped          bigint NOT NULL,
    waiting_until_ms bigint NULL,
    last_error       text   NULL,
    started_at_ms    bigint NOT NULL,
    updated_at_ms    bigint NOT NULL,
    finished_at_ms   bigint NULL,
    lease_owner      text   NULL,
    lease_until_ms   bigint NOT NULL
);

-- Tickets to synchronise: direction 'in' (the help desk changed ticket ref: an external id) or 'out' (the platform
-- changed ticket ref: a ticket number). A repeat of a waiting row bumps its generation instead of adding a row; a row
-- is deleted only at the generation it was read at, so a notification that arrives while it is processed is kept.
CREATE TABLE IF NOT EXISTS sp_bridge_queue
(
    system         text   NOT NULL,
    direction      text   NOT NULL,
    ref            text   NOT NULL,
    generation     bigint NOT NULL,
    attempts       int    NOT NULL,
    next_at_ms     bigint NOT NULL,
    last_error     text   NULL,
    enqueued_at_ms bigint NOT NULL,
    PRIMARY KEY (system, direction, ref)
);

CREATE INDEX IF NOT EXISTS ix_sp_bridge_queue_due ON sp_bridge_queue (next_at_ms);
