-- Tickets: an index for the ticket list's subject search (GET /api/tickets?q=...), which matches a substring of the
-- subject regardless of case: lower(subject) LIKE '%text%'. A B-tree cannot serve a pattern with a leading wildcard,
-- so every search read the whole table (twice: the page and its total). A pg_trgm GIN index on the same expression
-- serves LIKE '%text%' directly (the extension is created by 0015); PostgreSQL rechecks each candidate row against the
-- pattern, so the results are exactly those of the scan. Patterns shorter than three characters have no trigram and
-- still read the whole index, which is correct, just not faster.
CREATE INDEX IF NOT EXISTS ix_sp_tickets_subject_trgm ON sp_tickets USING gin (lower(subject) gin_trgm_ops);
