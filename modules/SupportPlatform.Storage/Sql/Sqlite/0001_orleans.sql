-- Orleans ADO.NET providers (grain persistence and reminders) on the embedded SQLite database.
-- Written by the project from the query contract (ORLEANS.md, section 1). Orleans' invariant
-- "System.Data.SQLite" loads Microsoft.Data.Sqlite.
-- Documented difference from PostgreSQL: no clustering tables or queries. SQLite is the single-node
-- embedded default and uses Orleans' localhost clustering (in-memory membership).
-- SQLite has no data-modifying CTEs; a boolean result is produced by a trailing SELECT changes().
-- Times: DateTime parameters are stored as ISO-8601 text (Microsoft.Data.Sqlite's format).

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

-- ---------------------------------------------------------------------------------------------
-- Grain persistence
-- ---------------------------------------------------------------------------------------------
-- Key: (ServiceId, state name, grain key); a NULL key extension is stored as ''.
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    ServiceId              TEXT    NOT NULL,
    GrainTypeString        TEXT    NOT NULL,
    GrainIdN0              INTEGER NOT NULL,
    GrainIdN1              INTEGER NOT NULL,
    GrainIdExtensionString TEXT    NOT NULL DEFAULT '',
    GrainIdHash            INTEGER NOT NULL,
    GrainTypeHash          INTEGER NOT NULL,
    PayloadBinary          BLOB    NULL,
    ModifiedOn             TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    Version                INTEGER NOT NULL,
    PRIMARY KEY (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

('ReadFromStorageKey', '
SELECT PayloadBinary, Version
  FROM OrleansStorage
 WHERE ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
   AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
   AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '''');
'),

-- Compare-and-swap in one statement. The insert is attempted when the incoming version is NULL
-- (first write) or the row exists; on conflict the update applies only if the stored version
-- equals the incoming one. No row returned = stale ETag (InconsistentStateException).
-- The SELECT needs its WHERE clause anyway: SQLite's upsert requires one after INSERT ... SELECT.
('WriteToStorageKey', '
INSERT INTO OrleansStorage
    (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString, GrainIdHash, GrainTypeHash, PayloadBinary, Version)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(@GrainIdExtensionString, ''''),
       @GrainIdHash, @GrainTypeHash, @PayloadBinary, 1
 WHERE @GrainStateVersion IS NULL
    OR EXISTS (SELECT 1 FROM OrleansStorage
                WHERE ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
                  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
                  AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, ''''))
ON CONFLICT (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString) DO UPDATE
   SET PayloadBinary = excluded.PayloadBinary, Version = OrleansStorage.Version + 1,
       ModifiedOn = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now''),
       GrainIdHash = excluded.GrainIdHash, GrainTypeHash = excluded.GrainTypeHash
 WHERE OrleansStorage.Version = CAST(@GrainStateVersion AS INTEGER)
RETURNING Version AS NewGrainStateVersion;
'),

-- Clear keeps the row with a NULL payload and a new version (same compare-and-swap as a write).
('ClearStorageKey', '
INSERT INTO OrleansStorage
    (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString, GrainIdHash, GrainTypeHash, PayloadBinary, Version)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(@GrainIdExtensionString, ''''),
       @GrainIdHash, @GrainTypeHash, NULL, 1
 WHERE @GrainStateVersion IS NULL
    OR EXISTS (SELECT 1 FROM OrleansStorage
                WHERE ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
                  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
                  AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, ''''))
ON CONFLICT (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString) DO UPDATE
   SET PayloadBinary = NULL, Version = OrleansStorage.Version + 1,
       ModifiedOn = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
 WHERE OrleansStorage.Version = CAST(@GrainStateVersion AS INTEGER)
RETURNING Version;
'),

-- DeleteStateOnClear=true: delete on a version match, returning a value different from the
-- incoming version. (Unlike PostgreSQL, deleting a never-written state reports a conflict.)
('DeleteStorageKey', '
DELETE FROM OrleansStorage
 WHERE ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
   AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
   AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '''')
   AND Version = CAST(@GrainStateVersion AS INTEGER)
RETURNING Version + 1;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- ---------------------------------------------------------------------------------------------
-- Reminders
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    TEXT    NOT NULL,
    GrainId      TEXT    NOT NULL,
    ReminderName TEXT    NOT NULL,
    StartTime    TEXT    NOT NULL,
    Period       INTEGER NOT NULL,
    GrainHash    INTEGER NOT NULL,
    Version      INTEGER NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS IX_OrleansRemindersTable_GrainHash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

('ReadReminderRowsKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
  FROM OrleansRemindersTable
 WHERE ServiceId = @ServiceId AND GrainId = @GrainId;
'),

('ReadReminderRowKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
  FROM OrleansRemindersTable
 WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName;
'),

('ReadRangeRows1Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
  FROM OrleansRemindersTable
 WHERE ServiceId = @ServiceId AND GrainHash > @BeginHash AND GrainHash <= @EndHash;
'),

('ReadRangeRows2Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
  FROM OrleansRemindersTable
 WHERE ServiceId = @ServiceId AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
'),

('UpsertReminderRowKey', '
INSERT INTO OrleansRemindersTable (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
   SET StartTime = excluded.StartTime, Period = excluded.Period, GrainHash = excluded.GrainHash,
       Version = OrleansRemindersTable.Version + 1
RETURNING Version;
'),

-- bool: deletes only on a version match; the trailing SELECT returns the one row.
('DeleteReminderRowKey', '
DELETE FROM OrleansRemindersTable
 WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName
   AND Version = CAST(@Version AS INTEGER);
SELECT changes();
'),

('DeleteReminderRowsKey', '
DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
