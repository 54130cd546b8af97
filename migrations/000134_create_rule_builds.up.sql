-- The builds of rule_timeline that are whole: a build is registered after
-- its rows are written, so pricing, which reads the newest registered, never
-- sees half of one.
-- rebuild: none (written when a rule is put, and filled by 000136)
CREATE TABLE IF NOT EXISTS rule_builds
(
    build      UInt64        COMMENT 'The build of rule_timeline (ns).',
    merchants  Array(UInt64) COMMENT 'The merchants it has a timeline of: those with rules of their own, and 0 (every other merchant) when the default has rules.',
    tier_keys  Array(UInt8)  COMMENT 'The tiers it has a timeline of: those rules name (n for tier n - 1), and 0 (every other tier).'
)
ENGINE = MergeTree
ORDER BY build
COMMENT 'The whole builds of rule_timeline; pricing reads the newest.'
