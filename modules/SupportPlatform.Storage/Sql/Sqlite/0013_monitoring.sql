-- Monitoring (Monitoring module): monitored systems with their grain's state, the host names sources use for them,
-- every accepted alert (unique per source, dedup key, state and time: retries never count twice), the history of
-- state changes (uptime is computed from it), incidents with their tickets, maintenance windows and alert rules.

-- One row per monitored system. state is the MonitoredSystemGrain's state as JSON (checks, open incident, pending
-- ticket actions), written with the alerts that changed it; version guards against two writers.
CREATE TABLE IF NOT EXISTS sp_monitor_systems
(
    id            text   PRIMARY KEY,
    account_id    text   NOT NULL,
    name          text   NOT NULL,
    status        text   NOT NULL,
    rules         text   NULL,
    state         text   NOT NULL,
    version       bigint NOT NULL,
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_monitor_systems_account ON sp_monitor_systems (account_id);

-- Host names (lower case) as monitoring sources send them, each claimed by one system.
CREATE TABLE IF NOT EXISTS sp_monitor_hosts
(
    host_name text PRIMARY KEY,
    system_id text NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_monitor_hosts_system ON sp_monitor_hosts (system_id);

-- Every accepted alert. idem_key = SHA-256 of source, dedup key, state and time. system_id is NULL while no system
-- claims the host name (unmapped).
CREATE TABLE IF NOT EXISTS sp_monitor_alerts
(
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key       text   NOT NULL,
    system_id      text   NULL,
    source         text   NOT NULL,
    host_name      text   NOT NULL,
    check_name     text   NOT NULL,
    state          text   NOT NULL,
    category       text   NOT NULL,
    dedup_key      text   NOT NULL,
    occurred_at_ms bigint NOT NULL,
    received_at_ms bigint NOT NULL,
    summary        text   NOT NULL,
    details        text   NULL,
    link           text   NULL,
    metrics        text   NULL,
    attributes     text   NULL,
    incident_no    int    NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS ux_sp_monitor_alerts_idem ON sp_monitor_alerts (idem_key);
CREATE INDEX IF NOT EXISTS ix_sp_monitor_alerts_system ON sp_monitor_alerts (system_id, id);
CREATE INDEX IF NOT EXISTS ix_sp_monitor_alerts_host ON sp_monitor_alerts (host_name, id);

-- State changes of each check, and of the system's availability (check_name '*': 'down' or 'up'), in order.
CREATE TABLE IF NOT EXISTS sp_monitor_changes
(
    system_id  text   NOT NULL,
    seq        bigint NOT NULL,
    check_name text   NOT NULL,
    from_state text   NOT NULL,
    to_state   text   NOT NULL,
    at_ms      bigint NOT NULL,
    summary    text   NOT NULL,
    PRIMARY KEY (system_id, seq)
);

CREATE INDEX IF NOT EXISTS ix_sp_monitor_changes_at ON sp_monitor_changes (system_id, check_name, at_ms);

-- Incidents: numbered per system; one ticket each.
CREATE TABLE IF NOT EXISTS sp_monitor_incidents
(
    system_id          text   NOT NULL,
    number             int    NOT NULL,
    account_id         text   NOT NULL,
    ticket_id          bigint NULL,
    status             text   NOT NULL,
    category           text   NOT NULL,
    summary            text   NOT NULL,
    checks             text   NOT NULL,
    alert_count        bigint NOT NULL,
    opened_at_ms       bigint NOT NULL,
    acknowledged_at_ms bigint NULL,
    resolved_at_ms     bigint NULL,
    PRIMARY KEY (system_id, number)
);

CREATE INDEX IF NOT EXISTS ix_sp_monitor_incidents_status ON sp_monitor_incidents (status, account_id);
CREATE INDEX IF NOT EXISTS ix_sp_monitor_incidents_ticket ON sp_monitor_incidents (ticket_id);

-- Scheduled maintenance: alerts open no tickets and the time does not count against uptime.
CREATE TABLE IF NOT EXISTS sp_monitor_maintenance
(
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id     text   NOT NULL,
    starts_at_ms  bigint NOT NULL,
    ends_at_ms    bigint NOT NULL,
    reason        text   NOT NULL,
    created_by    text   NOT NULL,
    created_at_ms bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_monitor_maintenance_system ON sp_monitor_maintenance (system_id, starts_at_ms);

-- Alert rules of an account (JSON); a system's own rules (sp_monitor_systems.rules) replace them.
CREATE TABLE IF NOT EXISTS sp_monitor_account_rules
(
    account_id    text   PRIMARY KEY,
    rules         text   NOT NULL,
    updated_at_ms bigint NOT NULL
);
