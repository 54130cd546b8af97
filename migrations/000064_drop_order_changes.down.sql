-- Every order event with its rebate worked out, passed on to the three order
-- tables below. Null: the rows live only in those tables.
CREATE TABLE IF NOT EXISTS order_changes
(
    order_id    String,
    user_id     UInt64,
    merchant_id UInt64,
    product_id  UInt64,
    state       UInt8,
    amount      Decimal(18, 2),
    commission  Decimal(18, 2),
    share       Decimal(9, 4),
    rebate      Decimal(18, 2),
    placed_at   DateTime64(3, 'UTC'),
    ts          DateTime64(3, 'UTC')
)
ENGINE = Null
