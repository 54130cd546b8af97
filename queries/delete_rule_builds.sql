-- Deletes the registrations of the builds before {before}
-- (get_rule_builds_kept), once their rows are (delete_rule_timeline).
-- for: service (after a build, the older ones are deleted)
DELETE FROM rule_builds WHERE build < {before:UInt64}
