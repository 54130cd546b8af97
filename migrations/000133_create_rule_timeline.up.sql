-- The rule each order gets, worked out once per rule put instead of once per
-- priced order (docs/schema.md, Rules as a timeline). Per merchant and tier,
-- the rule in force from each instant a rule starts or a promotion ends until
-- the next: pricing finds it with an ASOF JOIN, which the engine plans in a
-- fraction of the time the choice among every candidate took in each
-- pricing statement (docs/benchmarks.md). Every rule put writes a whole new
-- build; pricing reads the newest build registered in rule_builds.
-- rebuild: none (written when a rule is put, and filled by 000135)
CREATE TABLE IF NOT EXISTS rule_timeline
(
    build          UInt64                   COMMENT 'The build: when it was worked out (ns); pricing reads the newest in rule_builds.',
    merchant_id    UInt64                   COMMENT 'The merchant whose orders it prices: one with rules of its own, or 0 for every other.',
    tier_key       UInt8                    COMMENT 'The tier: n for tier n - 1, one that rules name; 0 for every other tier.',
    seg_from       DateTime64(3, 'UTC')     COMMENT 'From when (placed_at) this rule applies, until the next seg_from of the merchant and tier.',
    share          Decimal(9, 4)            COMMENT 'The chosen rule’s share of the commission (0 when no rule is in force).',
    cap            Nullable(Decimal(18, 2)) COMMENT 'The chosen rule’s cap on an order’s rebate (yuan); NULL for none.',
    referral_share Decimal(9, 4)            COMMENT 'The chosen rule’s referral share of the commission, paid to the inviter.'
)
ENGINE = MergeTree
ORDER BY (build, merchant_id, tier_key, seg_from)
COMMENT 'Per merchant and tier, which rule is in force from each instant a rule starts or a promotion ends (docs/events.md, Rules), worked out from rebate_rules when a rule is put; one build per put, the newest registered in rule_builds read by pricing.'
