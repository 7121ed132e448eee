-- Client accounts: list columns plus the account grain's state ("state"), written together.
CREATE TABLE IF NOT EXISTS sp_accounts
(
    id            text   PRIMARY KEY,
    name          text   NOT NULL,
    time_zone     text   NOT NULL,
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL,
    version       bigint NOT NULL,
    state         BLOB  NOT NULL
);
