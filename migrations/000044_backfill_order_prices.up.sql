-- Prices the orders stored before order_prices existed; from here on the
-- ingester prices what each batch touches (clickhouse.Materialize).
INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
                          tier, rebate, inviter_id, referral, version)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
       tier, rebate, inviter_id, referral, toUnixTimestamp64Nano(now64(9))
FROM priced_orders(keys = [])
