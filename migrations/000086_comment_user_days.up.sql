-- What user_days and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE user_days
    MODIFY COMMENT 'Each user’s paid and settled orders per day of placed_at (rebate and count), for the 7- and 30-day leaderboards; worked out again whole from order_prices (read with FINAL).',
    COMMENT COLUMN day 'The UTC day.',
    COMMENT COLUMN user_id 'The user.',
    COMMENT COLUMN rebate 'The sum of the rebates (yuan).',
    COMMENT COLUMN orders 'Paid and settled orders.',
    COMMENT COLUMN version 'When it was worked out (ns); the newest wins.'
