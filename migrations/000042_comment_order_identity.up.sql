-- What order_identity and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE order_identity
    MODIFY COMMENT 'What every event of an order must agree on, as its first stored event fixed it; the ingester keeps disagreeing events out. One row per order once parts merge (read with FINAL).',
    COMMENT COLUMN order_id 'The order.',
    COMMENT COLUMN user_id 'Its user.',
    COMMENT COLUMN merchant_id 'Its merchant.',
    COMMENT COLUMN product_id 'Its product.',
    COMMENT COLUMN amount 'Its amount (yuan).',
    COMMENT COLUMN commission 'Its commission (yuan).',
    COMMENT COLUMN placed_at 'When it was placed (UTC).',
    COMMENT COLUMN event_id 'The event that fixed the identity.',
    COMMENT COLUMN first 'A version ranking the earliest stored event highest (2100-01-01 in ms minus the storing time), so merges keep it.'
