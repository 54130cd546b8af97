-- orders again, sorted by the day of placed_at first; 000148 fills it and
-- 000149 swaps the two (000150 copies what was written meanwhile), as
-- 000111–000116 did for order_prices. Sorted by merchant first, each order a
-- batch prices (its key, (merchant_id, placed_at, order_id)) was in a
-- granule of its own: a batch's orders, spread over every merchant, read
-- one granule each, and each granule held more of a merchant's history as
-- it grew (docs/benchmarks.md: 315 granules for a batch's 1,400 orders at
-- 10 M events). Sorted by day, the orders placed today, most of a batch's,
-- are the last day's few granules; a settlement or a cancellation of an
-- order placed days ago still reads a granule of its day. A read by key
-- names the day too, (toDate(placed_at), merchant_id, placed_at, order_id).
-- Not partitioned by day: a batch settles orders placed over weeks, and
-- would write a part into each day's partition. Created empty and filled by
-- an INSERT, not CREATE ... AS SELECT, which a Replicated database refuses.
CREATE TABLE IF NOT EXISTS orders_by_day
(
    order_id    String                 COMMENT 'The order.',
    user_id     UInt64                 COMMENT 'Its user.',
    merchant_id UInt64                 COMMENT 'Its merchant.',
    product_id  UInt64                 COMMENT 'Its product.',
    state       UInt8                  COMMENT '1 paid, 2 settled, 3 void (cancelled or reversed); the highest state seen wins.',
    amount      Decimal(18, 2)         COMMENT 'What the user paid (yuan).',
    commission  Decimal(18, 2)         COMMENT 'What the merchant pays the platform (yuan).',
    placed_at   DateTime64(3, 'UTC')   COMMENT 'When the order was placed (UTC).',
    ts          DateTime64(3, 'UTC')   COMMENT 'The time of the event that set this state (UTC).'
)
ENGINE = ReplacingMergeTree(state)
ORDER BY (toDate(placed_at), merchant_id, placed_at, order_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024
COMMENT 'Orders as facts, one row per order once parts merge (read with FINAL): the highest state. Sorted by the day of placed_at first, so the orders a batch prices, mostly placed today, are a few granules of the last day. Priced into order_prices by the ingester; read that for figures.'
