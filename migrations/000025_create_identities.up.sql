-- What every event of an order or a withdrawal must agree on (the rules of
-- identity, docs/events.md): an order's user, merchant, product, amount,
-- commission and placed_at, a withdrawal's user and amount, as its first
-- stored event fixed them. The ingester looks up the entities of each batch
-- here and keeps a disagreeing event out of every figure. `first` ranks the
-- earliest stored row highest, so merges keep the event that fixed the
-- identity. Small granules: point lookups by (kind, id).
CREATE TABLE IF NOT EXISTS identities
(
    kind        Enum8('order' = 1, 'withdrawal' = 2),
    id          String,
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
ORDER BY (kind, id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256
