-- Every row written to order_prices (Materialize, a rule put's repricing,
-- a rebuild) is written to user_prices too, in the same insert: a read
-- that follows a batch's Materialize sees both.
-- rebuild: none (000131 fills user_prices from order_prices in the same series)
CREATE MATERIALIZED VIEW IF NOT EXISTS user_prices_mv TO user_prices AS
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
       tier, rebate, inviter_id, referral, version
FROM order_prices
