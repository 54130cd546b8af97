-- Works out again, whole, every per-minute click bucket (merchant, minute)
-- from clicks: what `rebate rebuild` does for click_minutes, which the
-- ingester otherwise keeps bucket by bucket (materialize_click_minutes.sql).
-- for: service (rebate rebuild)
-- settings: max_execution_time = 0
INSERT INTO click_minutes (merchant_id, minute, clicks, as_of, version)
SELECT merchant_id, toStartOfMinute(ts) AS minute, count(), max(ts), {version:UInt64}
FROM clicks FINAL
GROUP BY merchant_id, minute
