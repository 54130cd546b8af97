-- The raised fraud signals of the kind {signal} (no_click, cancel_rate,
-- velocity, invite_farm; '' for every kind) whose at is on or after
-- {since}, newest at first, ties by kind, user and order (all descending),
-- after the cursor ({after_at}, {after_signal}, {after_user_id},
-- {after_ref}) of the previous page ({after_signal} 0: the first page), at
-- most {limit}, each with its evidence and when it was last worked out.
SELECT
    signal, user_id, ref AS order_id, at, window_start, window_end, merchant_id, product_id, last_click,
    orders, voided, invitees, settled, fromUnixTimestamp64Nano(toInt64(version), 'UTC') AS detected_at
FROM risk_signals FINAL
WHERE raised
  AND ({signal:String} = '' OR toString(signal) = {signal:String})
  AND at >= {since:DateTime64(3, 'UTC')}
  AND ({after_signal:UInt8} = 0
       OR (at, toUInt8(signal), user_id, ref) < ({after_at:DateTime64(3, 'UTC')}, {after_signal:UInt8}, {after_user_id:UInt64}, {after_ref:String}))
ORDER BY at DESC, toUInt8(signal) DESC, user_id DESC, ref DESC
LIMIT {limit:UInt32}
