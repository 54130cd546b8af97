-- Registers build {build} of rule_timeline, whole once its INSERT returned
-- (materialize_rule_timeline), with the merchants and tiers it has a
-- timeline of; pricing reads the newest registered. A build of no rows (no
-- rule at all) is registered too: it prices every order at 0.
-- for: service (a rule put, and rules loaded, build the timeline pricing reads)
INSERT INTO rule_builds (build, merchants, tier_keys)
SELECT {build:UInt64}, groupUniqArray(merchant_id), groupUniqArray(tier_key)
FROM rule_timeline
WHERE build = {build:UInt64}
