-- What clicks and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE clicks
    MODIFY COMMENT 'Clicks, one row per click event once parts merge: count with FINAL (a duplicate has the same key).',
    COMMENT COLUMN merchant_id 'The merchant clicked.',
    COMMENT COLUMN ts 'When (UTC, milliseconds).',
    COMMENT COLUMN event_id 'The click event.',
    COMMENT COLUMN user_id 'The user who clicked.',
    COMMENT COLUMN product_id 'The product clicked.'
