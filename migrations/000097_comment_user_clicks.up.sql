-- What user_clicks and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE user_clicks
    MODIFY COMMENT 'Clicks by user and product: whether a user clicked a product in the 24 h before an order (the no_click signal), as a range read of the key. A duplicate is the same key: read with FINAL.',
    COMMENT COLUMN user_id 'The user who clicked.',
    COMMENT COLUMN product_id 'The product clicked.',
    COMMENT COLUMN ts 'When (UTC).',
    COMMENT COLUMN event_id 'The click event.'
