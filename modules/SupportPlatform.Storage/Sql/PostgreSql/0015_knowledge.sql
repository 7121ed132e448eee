-- Knowledge base (Knowledge module): articles with their versions, the tickets they were written from or used on,
-- feedback, portal deflections, searches that found nothing (topics with no article), and a full-text copy of each
-- ticket's text for staff search. Full-text search: the weighted tsvector of each article and ticket ('english'
-- configuration: stemming, stop words) is kept by triggers in fts_* tables with GIN indexes (stored, so ranking reads
-- it instead of re-parsing every matching row; named fts_* like SQLite's FTS5 tables, which have no sp_ counterpart);
-- pg_trgm serves the typo-tolerant fallback.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per article: its current version. tags: lower-case, space separated; category '' when none.
-- visibility: internal (staff), public (every client), account (the users of account_id only).
-- state: draft, in-review, published, archived.
CREATE TABLE IF NOT EXISTS sp_kb_articles
(
    id              bigserial PRIMARY KEY,
    title           text   NOT NULL,
    body            text   NOT NULL,
    body_html       text   NOT NULL,
    tags            text   NOT NULL,
    category        text   NOT NULL,
    visibility      text   NOT NULL,
    account_id      text   NULL,
    state           text   NOT NULL,
    author_id       text   NOT NULL,
    author_name     text   NOT NULL,
    reviewer_id     text   NULL,
    reviewer_name   text   NULL,
    version         int    NOT NULL,
    created_at_ms   bigint NOT NULL,
    updated_at_ms   bigint NOT NULL,
    published_at_ms bigint NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_kb_articles_state ON sp_kb_articles (state, updated_at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_kb_articles_trgm ON sp_kb_articles USING gin ((title || ' ' || tags || ' ' || body) gin_trgm_ops);

-- Every saved version of an article (version 1 = as created); never rewritten.
CREATE TABLE IF NOT EXISTS sp_kb_article_versions
(
    article_id    bigint NOT NULL,
    version       int    NOT NULL,
    title         text   NOT NULL,
    body          text   NOT NULL,
    tags          text   NOT NULL,
    category      text   NOT NULL,
    visibility    text   NOT NULL,
    account_id    text   NULL,
    editor_id     text   NOT NULL,
    editor_name   text   NOT NULL,
    created_at_ms bigint NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- Tickets an article was written from (relation 'written-from') or used on ('used-on').
CREATE TABLE IF NOT EXISTS sp_kb_article_tickets
(
    article_id bigint NOT NULL,
    ticket_id  bigint NOT NULL,
    relation   text   NOT NULL,
    actor_id   text   NOT NULL,
    at_ms      bigint NOT NULL,
    PRIMARY KEY (article_id, ticket_id, relation)
);

CREATE INDEX IF NOT EXISTS ix_sp_kb_article_tickets_ticket ON sp_kb_article_tickets (ticket_id);
CREATE INDEX IF NOT EXISTS ix_sp_kb_article_tickets_at ON sp_kb_article_tickets (relation, at_ms);

-- Helpful / not helpful, one vote per user and article (a second vote replaces the first).
CREATE TABLE IF NOT EXISTS sp_kb_feedback
(
    article_id bigint NOT NULL,
    user_id    text   NOT NULL,
    helpful    int    NOT NULL,
    ticket_id  bigint NULL,
    at_ms      bigint NOT NULL,
    PRIMARY KEY (article_id, user_id)
);

-- "This solved it" in the portal: a question that did not become a ticket.
CREATE TABLE IF NOT EXISTS sp_kb_deflections
(
    id         bigserial PRIMARY KEY,
    article_id bigint NOT NULL,
    account_id text   NULL,
    user_id    text   NOT NULL,
    subject    text   NOT NULL,
    at_ms      bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_kb_deflections_at ON sp_kb_deflections (at_ms);

-- Searches and suggestions that found no article: the raw material of the "topics with no article" report.
CREATE TABLE IF NOT EXISTS sp_kb_missed_searches
(
    id     bigserial PRIMARY KEY,
    query  text   NOT NULL,
    source text   NOT NULL,
    at_ms  bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_kb_missed_searches_at ON sp_kb_missed_searches (at_ms);

-- The searchable text of each ticket (subject; description, comments and resolution notes appended as they
-- happen), written in the ticket's own commit transaction. Tickets from before this migration get their subject
-- now and the rest of their text with their next change.
CREATE TABLE IF NOT EXISTS sp_kb_ticket_text
(
    ticket_id     bigint PRIMARY KEY,
    account_id    text   NOT NULL,
    subject       text   NOT NULL,
    body          text   NOT NULL,
    tags          text   NOT NULL,
    status        text   NOT NULL,
    updated_at_ms bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_kb_ticket_text_updated ON sp_kb_ticket_text (updated_at_ms);

-- The documents: title (A) above tags and category (B) above body (C); subject (A) above the rest (C).
CREATE TABLE IF NOT EXISTS fts_sp_kb_articles
(
    article_id bigint   PRIMARY KEY REFERENCES sp_kb_articles (id) ON DELETE CASCADE,
    document   tsvector NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_fts_sp_kb_articles ON fts_sp_kb_articles USING gin (document);

CREATE TABLE IF NOT EXISTS fts_sp_kb_ticket_text
(
    ticket_id bigint   PRIMARY KEY REFERENCES sp_kb_ticket_text (ticket_id) ON DELETE CASCADE,
    document  tsvector NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_fts_sp_kb_ticket_text ON fts_sp_kb_ticket_text USING gin (document);

CREATE OR REPLACE FUNCTION fts_sp_kb_articles_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO fts_sp_kb_articles (article_id, document)
    VALUES (NEW.id,
            setweight(to_tsvector('english'::regconfig, NEW.title), 'A') ||
            setweight(to_tsvector('english'::regconfig, NEW.tags || ' ' || NEW.category), 'B') ||
            setweight(to_tsvector('english'::regconfig, NEW.body), 'C'))
    ON CONFLICT (article_id) DO UPDATE SET document = excluded.document;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION fts_sp_kb_ticket_text_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO fts_sp_kb_ticket_text (ticket_id, document)
    VALUES (NEW.ticket_id,
            setweight(to_tsvector('english'::regconfig, NEW.subject), 'A') ||
            setweight(to_tsvector('english'::regconfig, NEW.body), 'C'))
    ON CONFLICT (ticket_id) DO UPDATE SET document = excluded.document;
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS tr_sp_kb_articles_fts ON sp_kb_articles;
CREATE TRIGGER tr_sp_kb_articles_fts AFTER INSERT OR UPDATE OF title, tags, category, body ON sp_kb_articles
    FOR EACH ROW EXECUTE FUNCTION fts_sp_kb_articles_sync();

DROP TRIGGER IF EXISTS tr_sp_kb_ticket_text_fts ON sp_kb_ticket_text;
CREATE TRIGGER tr_sp_kb_ticket_text_fts AFTER INSERT OR UPDATE OF subject, body ON sp_kb_ticket_text
    FOR EACH ROW EXECUTE FUNCTION fts_sp_kb_ticket_text_sync();

INSERT INTO sp_kb_ticket_text (ticket_id, account_id, subject, body, tags, status, updated_at_ms)
SELECT id, account_id, subject, '', trim(replace(tags, '|', ' ')), status, updated_at_ms FROM sp_tickets
ON CONFLICT (ticket_id) DO NOTHING;
