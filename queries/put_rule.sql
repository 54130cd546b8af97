-- Stores a rebate rule, refusing one that would take effect in the past by the
-- server's clock (an order's rule must never change after its events arrive)
-- or a share outside 0..1. Re-putting the same merchant and effective_from
-- replaces its share.
INSERT INTO rebate_rules (merchant_id, effective_from, share)
SELECT {merchant_id:UInt64}, {effective_from:DateTime64(3, 'UTC')}, {share:Decimal(9, 4)}
WHERE throwIf({effective_from:DateTime64(3, 'UTC')} < now64(3), 'effective_from is in the past')
    + throwIf({share:Decimal(9, 4)} > 1, 'share is above 1') = 0
