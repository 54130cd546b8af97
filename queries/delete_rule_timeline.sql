-- Deletes the builds of rule_timeline before {before} (get_rule_builds_kept):
-- nothing reads them, and each holds a row per merchant, tier and instant.
-- for: service (after a build, the older ones are deleted)
DELETE FROM rule_timeline WHERE build < {before:UInt64}
