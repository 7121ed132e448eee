-- Spelling suggestions: PostgreSQL gets the articles' vocabulary as a table in this migration (fts_sp_kb_words_vocab).
-- SQLite has had it since 0015, as an fts5vocab table of the same name over an unstemmed FTS5 index, so there is
-- nothing to change here; the file keeps both back-ends' migrations numbered alike.
SELECT 1;
