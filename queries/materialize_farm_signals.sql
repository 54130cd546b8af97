-- Works out again, whole, the invite_farm signal of the inviters of the
-- users {users}, raised or not, with a newer version, at the threshold
-- {farm_invitees} (farm_signals says how).
-- for: service (the ingester works out the signals each batch it stores touches)
INSERT INTO risk_signals (user_id, signal, ref, raised, at, window_start, window_end, merchant_id, product_id,
                          last_click, orders, voided, invitees, settled, version)
SELECT *, toUnixTimestamp64Nano(now64(9))
FROM farm_signals(users = {users:Array(UInt64)}, farm_invitees = {farm_invitees:UInt32})
