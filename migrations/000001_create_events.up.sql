-- The raw event log as received: the audit trail and the source every view
-- below is computed from. ReplacingMergeTree on event_id folds duplicate copies
-- when parts merge. No API query reads it. Retention is the TTL, which
-- `rebate migrate up` sets from REBATE_EVENTS_RETENTION_DAYS (docs/schema.md).
CREATE TABLE IF NOT EXISTS events
(
    event_id        String,
    type            Enum8('click' = 1, 'order_paid' = 2, 'order_settled' = 3, 'order_cancelled' = 4,
                          'order_reversed' = 5, 'withdrawal_requested' = 6, 'withdrawal_completed' = 7,
                          'withdrawal_failed' = 8, 'product_updated' = 9),
    ts              DateTime64(3, 'UTC'),
    user_id         UInt64,
    merchant_id     UInt64,
    product_id      UInt64,
    order_id        String,
    withdrawal_id   String,
    amount          Decimal(18, 2),
    commission      Decimal(18, 2),
    placed_at       DateTime64(3, 'UTC'),
    price           Decimal(18, 2),
    stock           UInt32,
    commission_rate Decimal(9, 4),
    kafka_partition Int32 DEFAULT -1,
    kafka_offset    Int64 DEFAULT -1,
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY event_id
TTL toDateTime(ts) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000
