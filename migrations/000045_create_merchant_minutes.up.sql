-- Each merchant's orders per minute of placed_at: count, GMV, commission
-- and rebate of those not void. Not added up as events arrive: whenever an
-- order of a bucket changes (or its user's tier), the bucket is worked out
-- again from order_prices and written whole (clickhouse.Materialize), and
-- the newest version wins; a bucket of void orders only is kept, with
-- zeros. as_of: the newest event time the bucket includes.
CREATE TABLE IF NOT EXISTS merchant_minutes
(
    merchant_id UInt64,
    minute      DateTime('UTC'),
    orders      UInt64,
    gmv         Decimal(38, 2),
    commission  Decimal(38, 2),
    rebate      Decimal(38, 2),
    as_of       DateTime64(3, 'UTC'),
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(minute)
ORDER BY (merchant_id, minute)
