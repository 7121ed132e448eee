-- Knowledge base (Knowledge module): articles with their versions, the tickets they were written from or used on,
-- feedback, portal deflections, searches that found nothing (topics with no article), and a full-text copy of each
-- ticket's text for staff search. Full-text search: FTS5 external-content tables kept in step by triggers
-- (tokenizer 'porter unicode61': stemming, case and accent folding), plus an unstemmed word index whose vocabulary
-- serves the typo fallback. The FTS tables are named fts_* (not sp_*): they have no PostgreSQL counterpart.

-- One row per article: its current version. tags: lower-case, space separated; category '' when none.
-- visibility: internal (staff), public (every client), account (the users of account_id only).
-- state: draft, in-review, published, archived.
CREATE TABLE IF NOT EXISTS sp_kb_articles
(
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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

CREATE VIRTUAL TABLE IF NOT EXISTS fts_sp_kb_articles USING fts5
(
    title, tags, category, body,
    content = 'sp_kb_articles', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Unstemmed words of every article (no positions: only its vocabulary is read, for spelling suggestions).
CREATE VIRTUAL TABLE IF NOT EXISTS fts_sp_kb_words USING fts5
(
    title, tags, body,
    content = 'sp_kb_articles', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2', detail = none
);

CREATE VIRTUAL TABLE IF NOT EXISTS fts_sp_kb_words_vocab USING fts5vocab(fts_sp_kb_words, 'row');

CREATE TRIGGER IF NOT EXISTS tr_sp_kb_articles_ai AFTER INSERT ON sp_kb_articles BEGIN
    INSERT INTO fts_sp_kb_articles (rowid, title, tags, category, body) VALUES (new.id, new.title, new.tags, new.category, new.body);
    INSERT INTO fts_sp_kb_words (rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);
END;

CREATE TRIGGER IF NOT EXISTS tr_sp_kb_articles_ad AFTER DELETE ON sp_kb_articles BEGIN
    INSERT INTO fts_sp_kb_articles (fts_sp_kb_articles, rowid, title, tags, category, body) VALUES ('delete', old.id, old.title, old.tags, old.category, old.body);
    INSERT INTO fts_sp_kb_words (fts_sp_kb_words, rowid, title, tags, body) VALUES ('delete', old.id, old.title, old.tags, old.body);
END;

CREATE TRIGGER IF NOT EXISTS tr_sp_kb_articles_au AFTER UPDATE OF title, tags, category, body ON sp_kb_articles BEGIN
    INSERT INTO fts_sp_kb_articles (fts_sp_kb_articles, rowid, title, tags, category, body) VALUES ('delete', old.id, old.title, old.tags, old.category, old.body);
    INSERT INTO fts_sp_kb_words (fts_sp_kb_words, rowid, title, tags, body) VALUES ('delete', old.id, old.title, old.tags, old.body);
    INSERT INTO fts_sp_kb_articles (rowid, title, tags, category, body) VALUES (new.id, new.title, new.tags, new.category, new.body);
    INSERT INTO fts_sp_kb_words (rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);
END;

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
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
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
    ticket_id     INTEGER PRIMARY KEY,
    account_id    text   NOT NULL,
    subject       text   NOT NULL,
    body          text   NOT NULL,
    tags          text   NOT NULL,
    status        text   NOT NULL,
    updated_at_ms bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_kb_ticket_text_updated ON sp_kb_ticket_text (updated_at_ms);

CREATE VIRTUAL TABLE IF NOT EXISTS fts_sp_kb_ticket_text USING fts5
(
    subject, body,
    content = 'sp_kb_ticket_text', content_rowid = 'ticket_id', tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER IF NOT EXISTS tr_sp_kb_ticket_text_ai AFTER INSERT ON sp_kb_ticket_text BEGIN
    INSERT INTO fts_sp_kb_ticket_text (rowid, subject, body) VALUES (new.ticket_id, new.subject, new.body);
END;

CREATE TRIGGER IF NOT EXISTS tr_sp_kb_ticket_text_ad AFTER DELETE ON sp_kb_ticket_text BEGIN
    INSERT INTO fts_sp_kb_ticket_text (fts_sp_kb_ticket_text, rowid, subject, body) VALUES ('delete', old.ticket_id, old.subject, old.body);
END;

CREATE TRIGGER IF NOT EXISTS tr_sp_kb_ticket_text_au AFTER UPDATE OF subject, body ON sp_kb_ticket_text BEGIN
    INSERT INTO fts_sp_kb_ticket_text (fts_sp_kb_ticket_text, rowid, subject, body) VALUES ('delete', old.ticket_id, old.subject, old.body);
    INSERT INTO fts_sp_kb_ticket_text (rowid, subject, body) VALUES (new.ticket_id, new.subject, new.body);
END;

INSERT INTO sp_kb_ticket_text (ticket_id, account_id, subject, body, tags, status, updated_at_ms)
SELECT id, account_id, subject, '', trim(replace(tags, '|', ' ')), status, updated_at_ms FROM sp_tickets
WHERE true ON CONFLICT (ticket_id) DO NOTHING;
