-- Notifications module: one notification service for staff (events, deliveries per channel, preferences), on-call
-- schedules with overrides, and escalation policies with their running escalations.

-- One row per event that notified staff. event_key is the producer's idempotency key: a duplicate event inserts
-- nothing and so notifies nobody twice.
CREATE TABLE IF NOT EXISTS sp_notifications
(
    id            text   NOT NULL PRIMARY KEY,
    event_key     text   NOT NULL UNIQUE,
    event_type    text   NOT NULL,
    ticket_id     bigint NULL,
    subject       text   NOT NULL,
    body          text   NOT NULL,
    link          text   NULL,
    urgent        int    NOT NULL,
    created_at_ms bigint NOT NULL
);

-- The delivery log: one row per notification, recipient and channel tried. status: pending, sent, failed (all
-- attempts used; the next channel got a row), suppressed (quiet hours), skipped (no address / no provider).
CREATE TABLE IF NOT EXISTS sp_notification_deliveries
(
    id                 text   NOT NULL PRIMARY KEY,
    notification_id    text   NOT NULL,
    user_id            text   NOT NULL,
    channel            text   NOT NULL,
    channel_index      int    NOT NULL,
    status             text   NOT NULL,
    attempts           int    NOT NULL,
    next_attempt_at_ms bigint NOT NULL,
    last_error         text   NULL,
    provider_id        text   NULL,
    created_at_ms      bigint NOT NULL,
    updated_at_ms      bigint NOT NULL,
    sent_at_ms         bigint NULL,
    lease_until_ms     bigint NULL,
    UNIQUE (notification_id, user_id, channel)
);

CREATE INDEX IF NOT EXISTS ix_sp_notification_deliveries_due ON sp_notification_deliveries (status, next_attempt_at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_notification_deliveries_user ON sp_notification_deliveries (user_id, created_at_ms);

-- Channels per user and event type, in order of preference (comma-separated: in-app,email,sms,voice,chat).
CREATE TABLE IF NOT EXISTS sp_notification_preferences
(
    user_id    text NOT NULL,
    event_type text NOT NULL,
    channels   text NOT NULL,
    PRIMARY KEY (user_id, event_type)
);

-- Where and when to reach a user: quiet hours (local "HH:mm", in time_zone), phone number, chat target.
CREATE TABLE IF NOT EXISTS sp_notification_profiles
(
    user_id       text   NOT NULL PRIMARY KEY,
    time_zone     text   NOT NULL,
    quiet_start   text   NULL,
    quiet_end     text   NULL,
    phone         text   NULL,
    chat_target   text   NULL,
    updated_at_ms bigint NOT NULL
);

-- On-call schedules per team; layers and rotations as JSON (see OnCallSchedule).
CREATE TABLE IF NOT EXISTS sp_oncall_schedules
(
    id            text   NOT NULL PRIMARY KEY,
    team          text   NOT NULL,
    definition    text   NOT NULL,
    updated_at_ms bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_oncall_schedules_team ON sp_oncall_schedules (team);

-- Overrides (holidays, swaps): user_id is on call for the schedule in [starts_at_ms, ends_at_ms), above every layer.
CREATE TABLE IF NOT EXISTS sp_oncall_overrides
(
    id            text   NOT NULL PRIMARY KEY,
    schedule_id   text   NOT NULL,
    user_id       text   NOT NULL,
    starts_at_ms  bigint NOT NULL,
    ends_at_ms    bigint NOT NULL,
    reason        text   NULL,
    created_at_ms bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_oncall_overrides_schedule ON sp_oncall_overrides (schedule_id, starts_at_ms);

-- Escalation policies per account ('' = every account) and priority ('' = every priority); steps as JSON.
CREATE TABLE IF NOT EXISTS sp_escalation_policies
(
    id            text   NOT NULL PRIMARY KEY,
    account_id    text   NOT NULL,
    priority      text   NOT NULL,
    definition    text   NOT NULL,
    updated_at_ms bigint NOT NULL,
    UNIQUE (account_id, priority)
);

-- Running and past escalations. trigger_key makes a trigger start one escalation only; next_step is the index of
-- the step its pending deadline runs. status: active, acknowledged, exhausted, resolved.
CREATE TABLE IF NOT EXISTS sp_escalations
(
    id            text   NOT NULL PRIMARY KEY,
    ticket_id     bigint NOT NULL,
    trigger_key   text   NOT NULL UNIQUE,
    trigger_kind  text   NOT NULL,
    policy_id     text   NOT NULL,
    steps         text   NOT NULL,
    next_step     int    NOT NULL,
    status        text   NOT NULL,
    started_at_ms bigint NOT NULL,
    ack_by        text   NULL,
    ack_via       text   NULL,
    ack_at_ms     bigint NULL,
    updated_at_ms bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_escalations_ticket ON sp_escalations (ticket_id);

-- Each step that ran, once (the deadline may be delivered twice; the primary key keeps it once).
CREATE TABLE IF NOT EXISTS sp_escalation_steps
(
    escalation_id text   NOT NULL,
    step          int    NOT NULL,
    ran_at_ms     bigint NOT NULL,
    targets       text   NOT NULL,
    PRIMARY KEY (escalation_id, step)
);
