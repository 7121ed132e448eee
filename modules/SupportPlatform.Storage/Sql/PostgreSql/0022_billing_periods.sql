-- Billing (issue 10, continued): the buyer's billing details per account (postal address and VAT id printed on its
-- invoices and carried in the UBL export) and its billing period; one row per account and period whose scheduled
-- invoicing ran, so a period is invoiced at most once (also when its deadline is delivered twice or after a restart).

-- billing_period: 'none' (invoices on completion or by hand only) or 'monthly' (each calendar month in the account's
-- time zone, invoiced at its end).
CREATE TABLE IF NOT EXISTS sp_billing_accounts
(
    account_id     text   PRIMARY KEY,
    street         text   NULL,
    city           text   NULL,
    postal_code    text   NULL,
    country_code   text   NOT NULL,
    vat_id         text   NULL,
    email          text   NULL,
    billing_period text   NOT NULL,
    updated_by     text   NOT NULL,
    updated_at_ms  bigint NOT NULL
);

-- period: 'yyyy-MM' of the account's time zone. invoice_id: the invoice issued for it, NULL when there was nothing to bill.
CREATE TABLE IF NOT EXISTS sp_billing_period_runs
(
    account_id text   NOT NULL,
    period     text   NOT NULL,
    invoice_id text   NULL,
    at_ms      bigint NOT NULL,
    PRIMARY KEY (account_id, period)
);
