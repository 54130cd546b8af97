-- Copies every priced order, as it stands (FINAL) and with its version, into
-- the table 000111 made.
INSERT INTO order_prices_by_day (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier, rebate, inviter_id, referral, version)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier, rebate, inviter_id, referral, version
FROM order_prices FINAL
