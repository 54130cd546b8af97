-- The orders placed in [since, until) at the merchant {merchant_id} (0: at
-- every merchant), by the key of orders, with their user: what a rule put, or
-- a new referral window, prices again.
-- for: service (rule puts and `rebate migrate up` price what they change)
SELECT DISTINCT merchant_id, placed_at, order_id, user_id
FROM orders
WHERE ({merchant_id:UInt64} = 0 OR merchant_id = {merchant_id:UInt64})
  AND placed_at >= {since:DateTime64(3, 'UTC')} AND placed_at < {until:DateTime64(3, 'UTC')}
