-- Works out again, whole, the no-click signal of the orders {keys} (by the
-- key of orders: a batch's orders, and those its clicks may clear), raised
-- or not, with a newer version (no_click_signals says how).
-- for: service (the ingester works out the signals each batch it stores touches)
INSERT INTO risk_signals (user_id, signal, ref, raised, at, window_start, window_end, merchant_id, product_id,
                          last_click, orders, voided, invitees, settled, version)
SELECT *, toUnixTimestamp64Nano(now64(9))
FROM no_click_signals(keys = {keys:Array(Tuple(UInt64, DateTime64(3, 'UTC'), String))})
