-- Orders as facts: one row per order once merged, the highest state
-- (1 paid < 2 settled < 3 void), so a duplicate or a late event never counts
-- twice or moves an order back; read with FINAL, by priced_orders only.
-- Keyed by merchant and placed_at, as order_prices. Prices are kept apart:
-- an order's rebate depends on its user's tier and join, which may arrive
-- after it.
CREATE TABLE IF NOT EXISTS orders
(
    order_id    String,
    user_id     UInt64,
    merchant_id UInt64,
    product_id  UInt64,
    state       UInt8,
    amount      Decimal(18, 2),
    commission  Decimal(18, 2),
    placed_at   DateTime64(3, 'UTC'),
    ts          DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(state)
ORDER BY (merchant_id, placed_at, order_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024
