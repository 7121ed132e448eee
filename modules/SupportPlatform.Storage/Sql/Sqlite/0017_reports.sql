-- Weekly and monthly reports (Reports module): per-account report settings and schedules, report runs (one row per
-- account, kind and period: the row is written in the transaction that puts the report's mail in the outbox, so a
-- period is sent at most once, also across restarts), staff-edited agreed next steps carried from report to report,
-- and discussion notes recorded against a report. Report mail can carry inline (CID) images: sp_mail_outbox gains a
-- column for them.

-- Settings of an account's reports. weekly_day: 0 (Sunday) to 6 (Saturday), the local weekday on which last week's
-- report is sent; monthly: sent on the first business day of the month. recipients: JSON list of addresses (empty:
-- the account's managers). uptime_target_ppm: the uptime promised, in parts per million (999000 = 99.9%).
CREATE TABLE IF NOT EXISTS sp_report_settings
(
    account_id        text   PRIMARY KEY,
    weekly_enabled    int    NOT NULL,
    weekly_day        int    NOT NULL,
    weekly_hour       int    NOT NULL,
    monthly_enabled   int    NOT NULL,
    monthly_hour      int    NOT NULL,
    recipients        text   NOT NULL,
    uptime_target_ppm int    NOT NULL,
    updated_by        text   NOT NULL,
    updated_at_ms     bigint NOT NULL
);

-- One row per report sent. kind: weekly or monthly; period: 2026-W49 or 2026-11.
CREATE TABLE IF NOT EXISTS sp_report_runs
(
    account_id      text   NOT NULL,
    kind            text   NOT NULL,
    period          text   NOT NULL,
    period_start_ms bigint NOT NULL,
    period_end_ms   bigint NOT NULL,
    sent_via        text   NOT NULL,
    sent_by         text   NOT NULL,
    recipients      text   NOT NULL,
    subject         text   NOT NULL,
    sent_at_ms      bigint NOT NULL,
    PRIMARY KEY (account_id, kind, period)
);

-- Agreed next steps, edited by staff; open ones are shown (and carried) in every later report until done.
CREATE TABLE IF NOT EXISTS sp_report_next_steps
(
    id            text   PRIMARY KEY,
    account_id    text   NOT NULL,
    body          text   NOT NULL,
    status        text   NOT NULL,
    agreed_in     text   NULL,
    created_by    text   NOT NULL,
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL,
    done_at_ms    bigint NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_report_next_steps_account ON sp_report_next_steps (account_id, created_at_ms);

-- Discussion notes from the stakeholder meeting, recorded against one report (kind + period) and shown in the next.
CREATE TABLE IF NOT EXISTS sp_report_notes
(
    id            text   PRIMARY KEY,
    account_id    text   NOT NULL,
    kind          text   NOT NULL,
    period        text   NOT NULL,
    body          text   NOT NULL,
    author        text   NOT NULL,
    created_at_ms bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_report_notes_account ON sp_report_notes (account_id, created_at_ms);

-- Inline images of a message (JSON list of { contentId, mediaType, base64 }), sent as multipart/related.
ALTER TABLE sp_mail_outbox ADD COLUMN inline_images text NULL;

-- Reports read alerts of an account per period.
CREATE INDEX IF NOT EXISTS ix_sp_monitor_alerts_system_occurred ON sp_monitor_alerts (system_id, occurred_at_ms);
