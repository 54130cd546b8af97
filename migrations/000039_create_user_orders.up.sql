-- Each user's orders, by the key of `orders`: how a user's orders are found
-- (a point lookup here, then a lookup of those keys in orders). Small
-- granules: point lookups.
CREATE TABLE IF NOT EXISTS user_orders
(
    user_id     UInt64,
    order_id    String,
    merchant_id UInt64,
    placed_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (user_id, order_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256
