-- Routing and escalation (Tickets module): the agent directory, vendors, the admin-edited rule lists, the
-- round-robin rotation per routing rule, and the vendor outbox.
-- Directory rows carry list columns plus the whole record as JSON ("data"), written together in one statement.

CREATE TABLE IF NOT EXISTS sp_agents
(
    id            text   PRIMARY KEY,
    display_name  text   NOT NULL,
    active        int    NOT NULL,
    on_shift      int    NOT NULL,
    updated_at_ms bigint NOT NULL,
    data          text   NOT NULL
);

CREATE TABLE IF NOT EXISTS sp_vendors
(
    id            text   PRIMARY KEY,
    name          text   NOT NULL,
    contact_email text   NOT NULL,
    updated_at_ms bigint NOT NULL,
    data          text   NOT NULL
);

-- One row per rule list ('routing', 'escalation'): the ordered list as JSON, replaced as a whole.
CREATE TABLE IF NOT EXISTS sp_routing_rule_sets
(
    name          text   PRIMARY KEY,
    updated_at_ms bigint NOT NULL,
    data          text   NOT NULL
);

-- Round-robin position per routing rule (by rule name): incremented atomically on each pick.
CREATE TABLE IF NOT EXISTS sp_routing_rotation
(
    rule_name     text   PRIMARY KEY,
    turns         bigint NOT NULL,
    updated_at_ms bigint NOT NULL
);

-- Messages to vendors "to be sent", written in the escalating ticket's transaction; the email module sends them.
CREATE TABLE IF NOT EXISTS sp_vendor_outbox
(
    id            text   PRIMARY KEY,
    ticket_id     bigint NOT NULL,
    vendor_id     text   NOT NULL,
    recipient     text   NOT NULL,
    subject       text   NOT NULL,
    body          text   NOT NULL,
    status        text   NOT NULL,
    created_at_ms bigint NOT NULL,
    sent_at_ms    bigint NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_vendor_outbox_status ON sp_vendor_outbox (status, created_at_ms);
