-- Works out again, whole, the per-minute order buckets {buckets} (day,
-- merchant, minute: the day of the minute, by which order_prices is sorted
-- first), read by the sorting key:
-- count, GMV, commission and rebate of the orders that are not void, and
-- as_of, from order_prices. Every order of a bucket is grouped, void ones
-- too, so a bucket whose orders all turned void is written with zeros, never
-- left stale.
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester keeps the buckets after each batch it stores)
INSERT INTO merchant_minutes (merchant_id, minute, orders, gmv, commission, rebate, as_of, version)
WITH 3 AS VOID
SELECT
    merchant_id,
    toStartOfMinute(placed_at) AS minute,
    countIf(state != VOID),
    sumIf(amount, state != VOID),
    sumIf(commission, state != VOID),
    sumIf(rebate, state != VOID),
    max(ts),
    {version:UInt64}
FROM order_prices FINAL
WHERE (toDate(placed_at), merchant_id, toStartOfMinute(placed_at)) IN {buckets:Array(Tuple(Date, UInt64, DateTime('UTC')))}
GROUP BY merchant_id, minute
