-- The signals of what was stored before risk_signals existed, at the
-- settings' defaults (REBATE_SIGNAL_*; clickhouse.DefaultSignalConfig): from
-- here on the ingester works out the subjects each batch touches, with the
-- thresholds it is configured with.
INSERT INTO risk_signals (user_id, signal, ref, raised, at, window_start, window_end, merchant_id, product_id,
                          last_click, orders, voided, invitees, settled, version)
SELECT *, toUnixTimestamp64Nano(now64(9)) FROM no_click_signals(keys = [], pairs = [])
UNION ALL
SELECT *, toUnixTimestamp64Nano(now64(9))
FROM user_signals(users = [], cancel_share = 0.7, cancel_min_orders = 10, orders_per_hour = 10)
UNION ALL
SELECT *, toUnixTimestamp64Nano(now64(9)) FROM farm_signals(users = [], farm_invitees = 10)
