-- Works out again, whole, the cancel_rate and velocity signals of the users
-- {users}, raised or not, with a newer version, at the thresholds
-- {cancel_share}, {cancel_min_orders} and {orders_per_hour} (user_signals
-- says how).
-- for: service (the ingester works out the signals each batch it stores touches)
INSERT INTO risk_signals (user_id, signal, ref, raised, at, window_start, window_end, merchant_id, product_id,
                          last_click, orders, voided, invitees, settled, version)
SELECT *, toUnixTimestamp64Nano(now64(9))
FROM user_signals(users = {users:Array(UInt64)}, cancel_share = {cancel_share:Decimal(9, 4)},
                  cancel_min_orders = {cancel_min_orders:UInt32}, orders_per_hour = {orders_per_hour:UInt32})
