-- Stores a rebate rule, refusing one that would take effect in the past by the
-- server's clock (an order's rule must never change after its events arrive)
-- or a share outside 0..1. Re-putting the same merchant, tier,
-- effective_from and effective_to replaces its shares and cap. tier_key 0 is
-- every tier, n is tier n - 1; effective_to at the epoch is no end.
INSERT INTO rebate_rules (merchant_id, tier_key, effective_from, effective_to, share, cap, referral_share)
SELECT {merchant_id:UInt64}, {tier_key:UInt8}, {effective_from:DateTime64(3, 'UTC')}, {effective_to:DateTime64(3, 'UTC')},
    {share:Decimal(9, 4)}, {cap:Nullable(Decimal(18, 2))}, {referral_share:Decimal(9, 4)}
WHERE throwIf({effective_from:DateTime64(3, 'UTC')} < now64(3), 'effective_from is in the past')
    + throwIf({share:Decimal(9, 4)} > 1 OR {referral_share:Decimal(9, 4)} > 1, 'a share is above 1') = 0
