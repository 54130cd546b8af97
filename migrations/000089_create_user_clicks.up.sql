-- Clicks by user and product, for the no-click signal (docs/schema.md,
-- Fraud signals): whether a user clicked a product in the 24 hours before
-- an order of theirs is a range read of (user_id, product_id, ts), and the
-- orders a click may clear are found by the same pair. clicks is keyed by
-- merchant and time, which answers neither. A duplicate is the same key.
CREATE TABLE IF NOT EXISTS user_clicks
(
    user_id    UInt64,
    product_id UInt64,
    ts         DateTime64(3, 'UTC'),
    event_id   String
)
ENGINE = ReplacingMergeTree
ORDER BY (user_id, product_id, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024
