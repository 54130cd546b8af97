ALTER TABLE user_orders
    MODIFY COMMENT '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN order_id '',
    COMMENT COLUMN merchant_id '',
    COMMENT COLUMN placed_at ''
