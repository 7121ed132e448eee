-- Reports: business times already computed (Reports module). The business time of a ticket from its creation to its
-- first response or its resolution is calendar arithmetic that a monthly report repeats for every ticket of the month
-- and of the 12-month trend; rows here spare that for tickets already measured. A row is used only while everything it
-- was computed from is unchanged: the ticket's priority and instants (from_ms: created, to_ms: first response or
-- resolution) and the account's calendar (calendar: a fingerprint of the calendar, of the priorities whose SLA runs
-- 24/7 and of the tz database version). A ticket that changes after its period closed (reopened and resolved again, a
-- priority change) no longer matches its row, so it is measured again and its row replaced.
-- measure: first-response or resolution; business_ticks: 100 ns ticks (the calendar arithmetic is exact to the tick).
CREATE TABLE IF NOT EXISTS sp_report_business_times
(
    ticket_id      bigint NOT NULL,
    measure        text   NOT NULL,
    calendar       text   NOT NULL,
    priority       int    NOT NULL,
    from_ms        bigint NOT NULL,
    to_ms          bigint NOT NULL,
    business_ticks bigint NOT NULL,
    PRIMARY KEY (ticket_id, measure)
);

-- The monthly report counts a month's problem alerts per system and check (a million in a busy month): an index holding
-- every column that count reads lets it scan the index alone. It starts with the columns of 0017's
-- ix_sp_monitor_alerts_system_occurred, which it replaces (one index to keep up on insert, not two).
CREATE INDEX IF NOT EXISTS ix_sp_monitor_alerts_report ON sp_monitor_alerts (system_id, occurred_at_ms) INCLUDE (state, check_name, host_name, category);
DROP INDEX IF EXISTS ix_sp_monitor_alerts_system_occurred;
