-- Reports (issue 9): the uptime target is the monitoring alert rules' uptimeTarget, no longer a report setting of its
-- own. A target set in an account's report settings (other than the default 99.9%) moves into the account's
-- monitoring rules, unless those already name a target other than the default (the monitoring one then wins: the
-- dashboards showed it). The column uptime_target_ppm stays, written with the default, for nodes of the previous version.
UPDATE sp_monitor_account_rules
SET rules = json_set(rules, '$.uptimeTarget', (SELECT s.uptime_target_ppm / 10000.0 FROM sp_report_settings s WHERE s.account_id = sp_monitor_account_rules.account_id))
WHERE account_id IN (SELECT account_id FROM sp_report_settings WHERE uptime_target_ppm <> 999000)
  AND COALESCE(json_extract(rules, '$.uptimeTarget'), 99.9) = 99.9;

INSERT INTO sp_monitor_account_rules (account_id, rules, updated_at_ms)
SELECT s.account_id, json_object('uptimeTarget', s.uptime_target_ppm / 10000.0), s.updated_at_ms
FROM sp_report_settings s
WHERE s.uptime_target_ppm <> 999000
  AND NOT EXISTS (SELECT 1 FROM sp_monitor_account_rules r WHERE r.account_id = s.account_id);

UPDATE sp_report_settings SET uptime_target_ppm = 999000 WHERE uptime_target_ppm <> 999000;
