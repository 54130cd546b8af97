-- What orders and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE orders
    MODIFY COMMENT 'Orders as facts, one row per order once parts merge (read with FINAL): the highest state. Priced into order_prices by the ingester; read that for figures.',
    COMMENT COLUMN order_id 'The order.',
    COMMENT COLUMN user_id 'Its user.',
    COMMENT COLUMN merchant_id 'Its merchant.',
    COMMENT COLUMN product_id 'Its product.',
    COMMENT COLUMN state '1 paid, 2 settled, 3 void (cancelled or reversed); the highest state seen wins.',
    COMMENT COLUMN amount 'What the user paid (yuan).',
    COMMENT COLUMN commission 'What the merchant pays the platform (yuan).',
    COMMENT COLUMN placed_at 'When the order was placed (UTC).',
    COMMENT COLUMN ts 'The time of the event that set this state (UTC).'
