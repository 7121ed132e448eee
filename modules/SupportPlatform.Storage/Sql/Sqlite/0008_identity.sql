-- Identity (Identity module): staff and client users, API tokens (keyed hashes only), one-time sign-in links,
-- the audit log, the module's secrets (token hashing key, first-admin setup token) and the ASP.NET Core Data
-- Protection key ring shared by every node of a cluster.

-- One row per person who signs in. kind 'staff' (role admin|senior|agent) or 'client' (role client, account_id set).
-- email is stored lower-cased; it is unique across staff and client users so sign-in by email is unambiguous.
CREATE TABLE IF NOT EXISTS sp_users
(
    id                text   PRIMARY KEY,
    kind              text   NOT NULL,
    email             text   NOT NULL,
    name              text   NOT NULL,
    role              text   NOT NULL,
    account_id        text   NULL,
    is_manager        int    NOT NULL,
    active            int    NOT NULL,
    password_hash     text   NULL,
    security_stamp    text   NOT NULL,
    failed_signins    int    NOT NULL,
    locked_until_ms   bigint NULL,
    created_at_ms     bigint NOT NULL,
    updated_at_ms     bigint NOT NULL,
    last_signin_at_ms bigint NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS ux_sp_users_email ON sp_users (email);
CREATE INDEX IF NOT EXISTS ix_sp_users_account ON sp_users (account_id);

-- Personal API tokens. token_hash is HMAC-SHA256(server key, token): verifying a token is one indexed lookup.
CREATE TABLE IF NOT EXISTS sp_api_tokens
(
    id              text   PRIMARY KEY,
    user_id         text   NOT NULL,
    name            text   NOT NULL,
    role            text   NOT NULL,
    token_hash      text   NOT NULL,
    hint            text   NOT NULL,
    created_at_ms   bigint NOT NULL,
    expires_at_ms   bigint NULL,
    last_used_at_ms bigint NULL,
    revoked_at_ms   bigint NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS ux_sp_api_tokens_hash ON sp_api_tokens (token_hash);
CREATE INDEX IF NOT EXISTS ix_sp_api_tokens_user ON sp_api_tokens (user_id);

-- One-time sign-in links sent by mail (keyed hash of the token); used_at_ms is set when redeemed.
CREATE TABLE IF NOT EXISTS sp_signin_links
(
    token_hash    text   PRIMARY KEY,
    user_id       text   NOT NULL,
    purpose       text   NOT NULL,
    created_at_ms bigint NOT NULL,
    expires_at_ms bigint NOT NULL,
    used_at_ms    bigint NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_signin_links_expires ON sp_signin_links (expires_at_ms);

-- Sign-ins (success and failure) and administrative changes.
CREATE TABLE IF NOT EXISTS sp_audit_log
(
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms      bigint NOT NULL,
    actor_kind text   NOT NULL,
    actor_id   text   NULL,
    actor_name text   NULL,
    action     text   NOT NULL,
    method     text   NULL,
    route      text   NULL,
    target     text   NULL,
    status     int    NULL,
    ip         text   NULL,
    detail     text   NULL
);

CREATE INDEX IF NOT EXISTS ix_sp_audit_log_at ON sp_audit_log (at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_audit_log_actor ON sp_audit_log (actor_id, at_ms);
CREATE INDEX IF NOT EXISTS ix_sp_audit_log_action ON sp_audit_log (action, at_ms);

-- Small named secrets of the identity module ('token-key', 'setup-token'), created once and shared by all nodes.
CREATE TABLE IF NOT EXISTS sp_identity_secrets
(
    name          text   PRIMARY KEY,
    value         text   NOT NULL,
    created_at_ms bigint NOT NULL
);

-- ASP.NET Core Data Protection keys (XML), so a cookie issued by one node is read by every other and after restarts.
CREATE TABLE IF NOT EXISTS sp_data_protection_keys
(
    name          text   PRIMARY KEY,
    xml           text   NOT NULL,
    created_at_ms bigint NOT NULL
);
