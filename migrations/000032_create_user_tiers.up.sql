-- Every user's tier history. An order's tier is its user's latest tier with
-- ts <= placed_at (ties by the greater event_id), found when an order is
-- priced (priced_orders), so a tier change arriving after the orders it
-- prices still counts. A duplicate is the same key.
CREATE TABLE IF NOT EXISTS user_tiers
(
    user_id  UInt64,
    ts       DateTime64(3, 'UTC'),
    event_id String,
    tier     UInt8
)
ENGINE = ReplacingMergeTree
ORDER BY (user_id, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256
