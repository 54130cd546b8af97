-- Rules by tier, promotions, caps and referral shares (docs/events.md,
-- Rules). tier_key 0 is every tier and n is tier n - 1; effective_to at the
-- epoch is no end (a rule with an end is a promotion); cap NULL is no cap.
-- The zeros mean what the rules stored before meant, which is why they are
-- encoded so: a column added to the sorting key may have no default. The new
-- key columns go at its end, so that a rule is (merchant, effective_from,
-- tier, effective_to) and re-putting one replaces its shares and cap.
ALTER TABLE rebate_rules
    ADD COLUMN IF NOT EXISTS tier_key UInt8 AFTER merchant_id,
    ADD COLUMN IF NOT EXISTS effective_to DateTime64(3, 'UTC') AFTER effective_from,
    ADD COLUMN IF NOT EXISTS cap Nullable(Decimal(18, 2)) AFTER share,
    ADD COLUMN IF NOT EXISTS referral_share Decimal(9, 4) AFTER cap,
    MODIFY ORDER BY (merchant_id, effective_from, tier_key, effective_to)
