-- Phone support (Accounts + Phone modules): the account's phone numbers, the allowance counters per billing period,
-- every counted piece of usage (idempotent per usage id), billable overage lines, calls and their events, and staff
-- phone numbers for routing.

-- Phone numbers from the accounts' phone terms (kind 'support': the account's dedicated number; 'caller': caller ID
-- of the account's people). Rewritten with the account in one transaction.
CREATE TABLE IF NOT EXISTS sp_account_numbers
(
    number     text NOT NULL,
    account_id text NOT NULL,
    kind       text NOT NULL,
    contact_id text NULL,
    PRIMARY KEY (number, account_id, kind)
);

-- A dedicated support number belongs to one account only.
CREATE UNIQUE INDEX IF NOT EXISTS ux_sp_account_numbers_support ON sp_account_numbers (number) WHERE kind = 'support';

-- One row per account and billing period (a calendar month in the account's time zone, label 'YYYY-MM').
-- notified_*_at_ms: when the 80% / 100% notice was sent (once per period).
CREATE TABLE IF NOT EXISTS sp_allowance_periods
(
    account_id          text   NOT NULL,
    period              text   NOT NULL,
    starts_at_ms        bigint NOT NULL,
    ends_at_ms          bigint NOT NULL,
    time_zone           text   NOT NULL,
    allowance_minutes   int    NOT NULL,
    used_minutes        int    NOT NULL,
    overage_minutes     int    NOT NULL,
    overage_amount_minor bigint NOT NULL,
    currency            text   NOT NULL,
    notified_80_at_ms   bigint NULL,
    notified_100_at_ms  bigint NULL,
    PRIMARY KEY (account_id, period)
);

-- Every piece of support time counted (or recorded as not counting), once per usage id ('call:twilio:CA...').
CREATE TABLE IF NOT EXISTS sp_allowance_usage
(
    account_id      text   NOT NULL,
    usage_id        text   NOT NULL,
    kind            text   NOT NULL,
    period          text   NOT NULL,
    started_at_ms   bigint NOT NULL,
    duration_ms     bigint NOT NULL,
    counted_minutes int    NOT NULL,
    overage_minutes int    NOT NULL,
    ticket_id       bigint NULL,
    description     text   NOT NULL,
    recorded_at_ms  bigint NOT NULL,
    PRIMARY KEY (account_id, usage_id)
);

-- Billable lines for the billing flow (source 'phone-overage'); amounts in minor units (cents) of currency.
CREATE TABLE IF NOT EXISTS sp_billable_lines
(
    id            text   PRIMARY KEY,
    account_id    text   NOT NULL,
    period        text   NOT NULL,
    source        text   NOT NULL,
    usage_id      text   NOT NULL,
    ticket_id     bigint NULL,
    minutes       int    NOT NULL,
    rate_minor    bigint NOT NULL,
    amount_minor  bigint NOT NULL,
    currency      text   NOT NULL,
    description   text   NOT NULL,
    created_at_ms bigint NOT NULL,
    status        text   NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_billable_lines_account ON sp_billable_lines (account_id, created_at_ms);

-- The call log: one row per call (id = provider ':' provider call id), list columns plus the call grain's state.
CREATE TABLE IF NOT EXISTS sp_calls
(
    id             text   PRIMARY KEY,
    provider       text   NOT NULL,
    account_id     text   NULL,
    contact_id     text   NULL,
    agent_id       text   NULL,
    from_number    text   NOT NULL,
    to_number      text   NOT NULL,
    started_at_ms  bigint NOT NULL,
    answered_at_ms bigint NULL,
    ended_at_ms    bigint NULL,
    talk_seconds   bigint NULL,
    outcome        text   NOT NULL,
    recording_url  text   NULL,
    ticket_id      bigint NULL,
    triage         int    NOT NULL,
    pending        int    NOT NULL,
    updated_at_ms  bigint NOT NULL,
    version        bigint NOT NULL,
    state          BLOB   NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_calls_started ON sp_calls (started_at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_calls_account ON sp_calls (account_id, started_at_ms);
-- Calls whose follow-up (ticket, note, count, transcription) is not done yet; housekeeping resumes them.
CREATE INDEX IF NOT EXISTS ix_sp_calls_pending ON sp_calls (pending, updated_at_ms);

-- Call events already applied (provider event ids), so a repeated callback changes nothing.
CREATE TABLE IF NOT EXISTS sp_call_events
(
    call_id        text   NOT NULL,
    event_id       text   NOT NULL,
    kind           text   NOT NULL,
    at_ms          bigint NOT NULL,
    received_at_ms bigint NOT NULL,
    PRIMARY KEY (call_id, event_id)
);

-- Staff phone numbers for routing: who is on duty and in which ring order.
CREATE TABLE IF NOT EXISTS sp_phone_agents
(
    user_id       text   PRIMARY KEY,
    name          text   NOT NULL,
    number        text   NOT NULL,
    on_duty       int    NOT NULL,
    ring_order    int    NOT NULL,
    updated_at_ms bigint NOT NULL
);
