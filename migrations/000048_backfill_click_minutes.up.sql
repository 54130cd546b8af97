-- The buckets of what was stored before the table existed.
INSERT INTO click_minutes (merchant_id, minute, clicks, as_of, version)
SELECT merchant_id, toStartOfMinute(ts) AS minute, count(), max(ts), toUnixTimestamp64Nano(now64(9))
FROM clicks FINAL
GROUP BY merchant_id, minute
