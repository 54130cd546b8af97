-- Every user with orders, in order: whose cancel_rate and velocity signals
-- a changed threshold works out again.
-- for: service (the ingester applies its signal thresholds as it starts)
SELECT DISTINCT user_id FROM user_orders ORDER BY user_id
