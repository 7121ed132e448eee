-- Read model foundation.
-- Conventions for the whole read model (both dialects):
--   * times are bigint milliseconds since the Unix epoch (UTC), in columns named *_at_ms;
--   * table and column names are snake_case, tables carry the sp_ prefix;
--   * portable SQL where possible: PostgreSQL and SQLite both support
--     INSERT ... ON CONFLICT ... DO UPDATE and RETURNING, so queries are shared between dialects;
--   * the same migration file names exist in both dialects, and after migrating both databases
--     have the same read-model tables and columns (a test introspects them).

-- Idempotency keys: API Idempotency-Key headers and inbound retries (Message-ID, CallSid, alert
-- fingerprint). One row per (scope, key); status is 'pending' or 'completed'.
CREATE TABLE IF NOT EXISTS sp_idempotency_keys
(
    scope         text   NOT NULL,
    key           text   NOT NULL,
    request_hash  text   NOT NULL,
    status        text   NOT NULL,
    response      text   NULL,
    created_at_ms bigint NOT NULL,
    expires_at_ms bigint NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX IF NOT EXISTS ix_sp_idempotency_keys_expires_at_ms ON sp_idempotency_keys (expires_at_ms);
