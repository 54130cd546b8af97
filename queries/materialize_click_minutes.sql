-- Works out again, whole, the per-minute click buckets {buckets} (merchant,
-- minute), read by the sorting key: distinct clicks, and as_of.
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester keeps the buckets after each batch it stores)
INSERT INTO click_minutes (merchant_id, minute, clicks, as_of, version)
SELECT merchant_id, toStartOfMinute(ts) AS minute, count(), max(ts), {version:UInt64}
FROM clicks FINAL
WHERE (merchant_id, toStartOfMinute(ts)) IN {buckets:Array(Tuple(UInt64, DateTime('UTC')))}
GROUP BY merchant_id, minute
