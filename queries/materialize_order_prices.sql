-- Prices again the orders {keys} (merchant_id, placed_at, order_id: the key
-- of orders) of the users {users} and writes them to order_prices with a newer version, which
-- wins. Run after the events that touch them are stored (an order's own, its
-- user's tier changes and joins), so the price follows what is known.
-- for: service (the ingester prices what each batch it stores touches)
INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
                          tier, rebate, inviter_id, referral, version)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
       tier, rebate, inviter_id, referral, toUnixTimestamp64Nano(now64(9))
FROM priced_orders(keys = {keys:Array(Tuple(UInt64, DateTime64(3, 'UTC'), String))}, users = {users:Array(UInt64)})
