-- What every event of an order must agree on (an order belongs to one user
-- and one merchant, with one product, amount, commission and placed_at),
-- as its first stored event fixed it. The ingester looks up the orders of
-- each batch here and keeps a disagreeing event out of every figure
-- (docs/events.md, Semantics). `first` ranks the earliest stored row highest,
-- so merges keep the event that fixed the identity. Small granules: point
-- lookups by order_id.
CREATE TABLE IF NOT EXISTS order_identity
(
    order_id    String,
    user_id     UInt64,
    merchant_id UInt64,
    product_id  UInt64,
    amount      Decimal(18, 2),
    commission  Decimal(18, 2),
    placed_at   DateTime64(3, 'UTC'),
    event_id    String,
    first       UInt64
)
ENGINE = ReplacingMergeTree(first)
ORDER BY order_id
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256
