-- Durable deadlines of the scheduler (modules/SupportPlatform.Scheduling): the source of truth. A row exists from the
-- commit that scheduled it until its target's OnDeadline returned (at-least-once delivery).
--   id         caller-chosen key, so re-scheduling is an upsert (INSERT ... ON CONFLICT (id) DO UPDATE);
--   shard      which scheduler shard grain owns the row: a stable hash of id modulo the configured shard count;
--   due_at_ms  when it fires (Unix ms, UTC);
--   target     the receiving grain, GrainId.ToString();
--   kind, payload  handed back to the target untouched.
-- Each shard reads "its rows due up to now + look-ahead" through (shard, due_at_ms).
CREATE TABLE IF NOT EXISTS sp_deadlines
(
    id            text    NOT NULL PRIMARY KEY,
    shard         integer NOT NULL,
    due_at_ms     bigint  NOT NULL,
    target        text    NOT NULL,
    kind          text    NOT NULL,
    payload       text    NOT NULL,
    created_at_ms bigint  NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_deadlines_shard_due_at_ms ON sp_deadlines (shard, due_at_ms);
