-- What user_orders and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE user_orders
    MODIFY COMMENT 'Each user’s orders, by the key of orders and order_prices: how a user’s orders are found (a point lookup here, then a key lookup there). Read with FINAL.',
    COMMENT COLUMN user_id 'The user.',
    COMMENT COLUMN order_id 'The order.',
    COMMENT COLUMN merchant_id 'Its merchant (part of the key of orders).',
    COMMENT COLUMN placed_at 'When it was placed (part of the key of orders).'
