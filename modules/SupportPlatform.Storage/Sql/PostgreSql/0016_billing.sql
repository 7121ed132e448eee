-- Additional work billed by the hour (Billing module): contract scope rules, estimates with versions and approvals,
-- tasks and time entries, invoices and credit notes with gapless numbers, and their exports to billing adapters.
-- Money is kept exactly: amounts in the JSON documents are decimals; *_minor columns are cents for sums and lists.

-- The scope rules of an account's contract (JSON list of { id, kind: in|out, text }), one row per account.
CREATE TABLE IF NOT EXISTS sp_billing_scope
(
    account_id    text   PRIMARY KEY,
    rules         text   NOT NULL,
    updated_by    text   NOT NULL,
    updated_at_ms bigint NOT NULL
);

-- A piece of out-of-scope work: the scope decision (why it is billable) and its estimate's state.
-- status: draft, sent, approved, declined, completed. approved_version: the version whose approval is in force.
CREATE TABLE IF NOT EXISTS sp_billing_estimates
(
    id               text   PRIMARY KEY,
    account_id       text   NOT NULL,
    ticket_id        bigint NULL,
    title            text   NOT NULL,
    scope_reason     text   NOT NULL,
    scope_rule_id    text   NULL,
    status           text   NOT NULL,
    current_version  int    NOT NULL,
    approved_version int    NULL,
    created_by       text   NOT NULL,
    created_at_ms    bigint NOT NULL,
    updated_at_ms    bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_billing_estimates_account ON sp_billing_estimates (account_id, created_at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_billing_estimates_ticket ON sp_billing_estimates (ticket_id);

-- Every version of an estimate, never changed once written (body: the lines, assumptions, validity, totals as JSON).
CREATE TABLE IF NOT EXISTS sp_billing_estimate_versions
(
    estimate_id   text   NOT NULL,
    version       int    NOT NULL,
    body          text   NOT NULL,
    total_minor   bigint NOT NULL,
    currency      text   NOT NULL,
    created_by    text   NOT NULL,
    created_at_ms bigint NOT NULL,
    sent_at_ms    bigint NULL,
    PRIMARY KEY (estimate_id, version)
);

-- The client's decision on one version: one row per version, so a repeated submission finds the first one.
CREATE TABLE IF NOT EXISTS sp_billing_approvals
(
    estimate_id text   NOT NULL,
    version     int    NOT NULL,
    decision    text   NOT NULL,
    user_id     text   NOT NULL,
    user_name   text   NOT NULL,
    via         text   NOT NULL,
    ip          text   NULL,
    user_agent  text   NULL,
    reason      text   NULL,
    at_ms       bigint NOT NULL,
    PRIMARY KEY (estimate_id, version)
);

-- Tasks of approved work (one per estimate line); estimated in hundredths of an hour, rate in cents.
CREATE TABLE IF NOT EXISTS sp_billing_tasks
(
    id                   text   PRIMARY KEY,
    estimate_id          text   NOT NULL,
    position             int    NOT NULL,
    title                text   NOT NULL,
    estimated_centihours bigint NOT NULL,
    rate_minor           bigint NOT NULL,
    assignee_id          text   NULL,
    assignee_name        text   NULL,
    UNIQUE (estimate_id, position)
);

-- Time logged against tasks; minutes is null while a timer runs; invoice_id once invoiced.
CREATE TABLE IF NOT EXISTS sp_billing_time_entries
(
    id            text   PRIMARY KEY,
    task_id       text   NOT NULL,
    estimate_id   text   NOT NULL,
    account_id    text   NOT NULL,
    user_id       text   NOT NULL,
    user_name     text   NOT NULL,
    started_at_ms bigint NOT NULL,
    minutes       int    NULL,
    note          text   NOT NULL,
    created_at_ms bigint NOT NULL,
    invoice_id    text   NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_billing_time_entries_estimate ON sp_billing_time_entries (estimate_id, started_at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_billing_time_entries_account ON sp_billing_time_entries (account_id, invoice_id);
-- At most one running timer per person.
CREATE UNIQUE INDEX IF NOT EXISTS ux_sp_billing_time_entries_running ON sp_billing_time_entries (user_id) WHERE minutes IS NULL;

-- 80% / 100% warnings already given per estimate version.
CREATE TABLE IF NOT EXISTS sp_billing_budget_warnings
(
    estimate_id text   NOT NULL,
    version     int    NOT NULL,
    percent     int    NOT NULL,
    at_ms       bigint NOT NULL,
    PRIMARY KEY (estimate_id, version, percent)
);

-- Document number counters: taken in the transaction that issues the document, so a rollback gives the number back.
CREATE TABLE IF NOT EXISTS sp_billing_counters
(
    name       text   PRIMARY KEY,
    last_value bigint NOT NULL
);

INSERT INTO sp_billing_counters (name, last_value) VALUES ('invoice', 0) ON CONFLICT DO NOTHING;
INSERT INTO sp_billing_counters (name, last_value) VALUES ('credit-note', 0) ON CONFLICT DO NOTHING;

-- Issued invoices and credit notes (kind). Never updated: body is the document as issued (JSON).
CREATE TABLE IF NOT EXISTS sp_billing_invoices
(
    id                 text   PRIMARY KEY,
    kind               text   NOT NULL,
    seq                bigint NOT NULL,
    number             text   NOT NULL UNIQUE,
    account_id         text   NOT NULL,
    credits_invoice_id text   NULL,
    issued_at_ms       bigint NOT NULL,
    currency           text   NOT NULL,
    total_minor        bigint NOT NULL,
    body               text   NOT NULL,
    UNIQUE (kind, seq)
);

CREATE INDEX IF NOT EXISTS ix_sp_billing_invoices_account ON sp_billing_invoices (account_id, issued_at_ms);
CREATE UNIQUE INDEX IF NOT EXISTS ux_sp_billing_invoices_credit ON sp_billing_invoices (credits_invoice_id) WHERE credits_invoice_id IS NOT NULL;

-- Outside billable lines (phone overage, 'phone:<line id>') taken by an invoice: a line is billed once.
CREATE TABLE IF NOT EXISTS sp_billing_invoice_sources
(
    source     text PRIMARY KEY,
    invoice_id text NOT NULL
);

-- Exports of issued documents to billing adapter plugins: status pending, done, failed (retried until done).
CREATE TABLE IF NOT EXISTS sp_billing_exports
(
    invoice_id         text   NOT NULL,
    plugin_id          text   NOT NULL,
    status             text   NOT NULL,
    attempts           int    NOT NULL,
    last_error         text   NULL,
    reference          text   NULL,
    next_attempt_at_ms bigint NOT NULL,
    updated_at_ms      bigint NOT NULL,
    PRIMARY KEY (invoice_id, plugin_id)
);

CREATE INDEX IF NOT EXISTS ix_sp_billing_exports_due ON sp_billing_exports (status, next_attempt_at_ms);
