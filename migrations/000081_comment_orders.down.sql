ALTER TABLE orders
    MODIFY COMMENT '',
    COMMENT COLUMN order_id '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN merchant_id '',
    COMMENT COLUMN product_id '',
    COMMENT COLUMN state '',
    COMMENT COLUMN amount '',
    COMMENT COLUMN commission '',
    COMMENT COLUMN placed_at '',
    COMMENT COLUMN ts ''
