-- Registers the first build of rule_timeline (queries/materialize_rule_build.sql as written then).
-- rebuild: none (a table written by the service, not a view)
INSERT INTO rule_builds (build, merchants, tier_keys)
SELECT build, groupUniqArray(merchant_id), groupUniqArray(tier_key)
FROM rule_timeline
WHERE build = (SELECT max(build) FROM rule_timeline)
GROUP BY build
