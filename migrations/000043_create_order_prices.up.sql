-- Every order priced, as priced_orders last worked it out: what the figures
-- read (balances, order lists, referrals, the buckets and leaderboards).
-- Keyed as orders; a user's orders are found with user_orders. Written
-- whole by clickhouse.Materialize after each batch of events is stored, with
-- a newer version, read with FINAL: the newest version read the most facts.
-- placed_idx skips the granules outside a time window (the leaderboards').
CREATE TABLE IF NOT EXISTS order_prices
(
    order_id    String,
    user_id     UInt64,
    merchant_id UInt64,
    product_id  UInt64,
    state       UInt8,
    amount      Decimal(18, 2),
    commission  Decimal(18, 2),
    placed_at   DateTime64(3, 'UTC'),
    ts          DateTime64(3, 'UTC'),
    tier        UInt8,
    rebate      Decimal(18, 2),
    inviter_id  UInt64,
    referral    Decimal(18, 2),
    version     UInt64,
    INDEX placed_idx placed_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (merchant_id, placed_at, order_id)
SETTINGS index_granularity = 1024
