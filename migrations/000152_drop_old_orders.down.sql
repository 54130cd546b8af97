-- The table sorted by merchant again (under the name 000149 exchanged it
-- to), as 000036 made it and the comments since left it; 000151's down
-- fills it and 000149's down swaps it back.
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
ORDER BY (merchant_id, placed_at, order_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024
COMMENT 'Orders as facts, one row per order once parts merge (read with FINAL): the highest state. Priced into order_prices by the ingester; read that for figures.'
