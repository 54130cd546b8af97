-- Rebate rules: the share of commission paid back for a merchant's orders
-- placed at or after effective_from (merchant 0 is the default). A rule may
-- not take effect in the past (queries/put_rule.sql refuses it), so the rule
-- an order gets never changes after its events arrive. Re-putting the same
-- (merchant, effective_from) replaces the share: the newest created_at wins.
CREATE TABLE IF NOT EXISTS rebate_rules
(
    merchant_id    UInt64,
    effective_from DateTime64(3, 'UTC'),
    share          Decimal(9, 4),
    created_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (merchant_id, effective_from)
