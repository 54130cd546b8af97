-- Registers the newest build of rule_timeline, whole once its INSERT
-- returned (materialize_rule_timeline), as the one pricing reads, with the
-- merchants and tiers it has a timeline of. Of two builds written at once,
-- the newer read every rule the older did.
-- for: service (a rule put, and rules loaded, build the timeline pricing reads)
INSERT INTO rule_builds (build, merchants, tier_keys)
SELECT build, groupUniqArray(merchant_id), groupUniqArray(tier_key)
FROM rule_timeline
WHERE build = (SELECT max(build) FROM rule_timeline)
GROUP BY build
