-- A product's latest update by (ts, event_id): argMax over that tuple is
-- exact whatever the arrival order, and a duplicate changes nothing. Small
-- granules: a lookup deserialises every state of the granules it reads.
CREATE TABLE IF NOT EXISTS products
(
    product_id UInt64,
    latest     AggregateFunction(argMax,
                   Tuple(UInt64, Decimal(18, 2), UInt32, Decimal(9, 4), DateTime64(3, 'UTC')),
                   Tuple(DateTime64(3, 'UTC'), String))
)
ENGINE = AggregatingMergeTree
ORDER BY product_id
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256
