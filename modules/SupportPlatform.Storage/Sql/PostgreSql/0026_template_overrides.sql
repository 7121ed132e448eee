-- Template overrides (issue 4, admin pages): every save of a template as a new version, so a change can be compared and
-- rolled back. The override in effect for (kind, name, account) is its highest version; a version with a NULL source
-- is a revert (the data-folder file or the shipped template applies again). account_id is '' for the MSP-wide override.
CREATE TABLE IF NOT EXISTS sp_template_versions
(
    kind        text    NOT NULL,
    name        text    NOT NULL,
    account_id  text    NOT NULL,
    version     integer NOT NULL,
    source      text    NULL,
    saved_by    text    NOT NULL,
    saved_at_ms bigint  NOT NULL,
    PRIMARY KEY (kind, name, account_id, version)
);
