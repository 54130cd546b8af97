-- Distinct clicks per minute and merchant. uniqExact of event_id is a set, so
-- a duplicate (same event, same minute) adds nothing.
CREATE TABLE IF NOT EXISTS clicks_minutely
(
    minute      DateTime('UTC'),
    merchant_id UInt64,
    clicks      AggregateFunction(uniqExact, String),
    max_ts      SimpleAggregateFunction(max, DateTime64(3, 'UTC')) -- freshness
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, merchant_id)
SETTINGS non_replicated_deduplication_window = 10000
