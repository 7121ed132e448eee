-- Tickets: an index for the ticket list's subject search (GET /api/tickets?q=...), which matches a substring of the
-- subject regardless of case: lower(subject) LIKE '%text%' ESCAPE '\'. No B-tree serves a leading wildcard, so every
-- search read the whole table. An FTS5 table with the trigram tokenizer over the subject (external content: it stores
-- only the index, the text stays in sp_tickets) answers "subject LIKE '%text%'" from its index for three characters or
-- more, and SQLite checks each candidate against the pattern itself, as the plain scan does. The list query uses it
-- only to narrow the rows and keeps its own condition, so the results are exactly those of the scan (see TicketQueries).
CREATE VIRTUAL TABLE IF NOT EXISTS fts_sp_tickets_subject USING fts5
(
    subject,
    content = 'sp_tickets', content_rowid = 'id', tokenize = 'trigram'
);

CREATE TRIGGER IF NOT EXISTS tr_sp_tickets_subject_ai AFTER INSERT ON sp_tickets BEGIN
    INSERT INTO fts_sp_tickets_subject (rowid, subject) VALUES (new.id, new.subject);
END;

CREATE TRIGGER IF NOT EXISTS tr_sp_tickets_subject_ad AFTER DELETE ON sp_tickets BEGIN
    INSERT INTO fts_sp_tickets_subject (fts_sp_tickets_subject, rowid, subject) VALUES ('delete', old.id, old.subject);
END;

-- Every change of a ticket rewrites its row (the subject included), so only a subject that really changed is re-indexed.
CREATE TRIGGER IF NOT EXISTS tr_sp_tickets_subject_au AFTER UPDATE OF subject ON sp_tickets WHEN old.subject IS NOT new.subject BEGIN
    INSERT INTO fts_sp_tickets_subject (fts_sp_tickets_subject, rowid, subject) VALUES ('delete', old.id, old.subject);
    INSERT INTO fts_sp_tickets_subject (rowid, subject) VALUES (new.id, new.subject);
END;

-- Tickets stored before this migration.
INSERT INTO fts_sp_tickets_subject (fts_sp_tickets_subject) VALUES ('rebuild');
