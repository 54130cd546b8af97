-- Clicks by merchant and time; ReplacingMergeTree on (merchant, ts, event_id)
-- makes a duplicate the same row, so counting with FINAL is exact.
CREATE TABLE IF NOT EXISTS clicks
(
    merchant_id UInt64,
    ts          DateTime64(3, 'UTC'),
    event_id    String,
    user_id     UInt64,
    product_id  UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (merchant_id, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024
