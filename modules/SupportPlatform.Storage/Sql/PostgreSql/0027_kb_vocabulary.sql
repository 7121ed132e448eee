-- Spelling suggestions on PostgreSQL from the articles' vocabulary, as on SQLite (fts5vocab, the same name and the
-- columns term and doc; named fts_* as the search tables, outside the read model both back-ends share): every unstemmed,
-- lower-case word of the articles' title, tags and body with the number of articles that use it, kept by a trigger
-- and trigram-indexed, so the known words closest to a mistyped one are found without reading the articles.
-- It replaces the fallback that ran word_similarity over whole articles, which took seconds per query with a few
-- thousand articles (knowledge search benchmark, 2026-12-08), and whose trigram index is dropped here.
CREATE TABLE IF NOT EXISTS fts_sp_kb_words_vocab
(
    term text PRIMARY KEY,
    doc  int  NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_fts_sp_kb_words_vocab_trgm ON fts_sp_kb_words_vocab USING gin (term gin_trgm_ops);

-- The distinct words of an article. Words longer than 64 characters are not words anyone types.
CREATE OR REPLACE FUNCTION sp_kb_article_words(title text, tags text, body text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS
$fn$
    SELECT DISTINCT w
      FROM regexp_split_to_table(lower(coalesce(title, '') || ' ' || coalesce(tags, '') || ' ' || coalesce(body, '')), '[^[:alnum:]]+') AS w
     WHERE w <> '' AND length(w) <= 64
     ORDER BY w
$fn$;

CREATE OR REPLACE FUNCTION fts_sp_kb_words_vocab_sync() RETURNS trigger
LANGUAGE plpgsql AS
$fn$
BEGIN
    -- Article writes are rare (people editing): one at a time here rules out deadlocks on shared words.
    PERFORM pg_advisory_xact_lock(20261208027);
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE fts_sp_kb_words_vocab v SET doc = v.doc - 1
          FROM sp_kb_article_words(OLD.title, OLD.tags, OLD.body) AS w(term)
         WHERE v.term = w.term;
        DELETE FROM fts_sp_kb_words_vocab v
         USING sp_kb_article_words(OLD.title, OLD.tags, OLD.body) AS w(term)
         WHERE v.term = w.term AND v.doc <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO fts_sp_kb_words_vocab (term, doc)
        SELECT w.term, 1 FROM sp_kb_article_words(NEW.title, NEW.tags, NEW.body) AS w(term)
        ON CONFLICT (term) DO UPDATE SET doc = fts_sp_kb_words_vocab.doc + 1;
    END IF;
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS tr_sp_kb_articles_words_vocab ON sp_kb_articles;
CREATE TRIGGER tr_sp_kb_articles_words_vocab AFTER INSERT OR UPDATE OF title, tags, body OR DELETE ON sp_kb_articles
    FOR EACH ROW EXECUTE FUNCTION fts_sp_kb_words_vocab_sync();

INSERT INTO fts_sp_kb_words_vocab (term, doc)
SELECT w.term, count(*) FROM sp_kb_articles a, sp_kb_article_words(a.title, a.tags, a.body) AS w(term) GROUP BY w.term
ON CONFLICT (term) DO UPDATE SET doc = excluded.doc;

DROP INDEX IF EXISTS ix_sp_kb_articles_trgm;
