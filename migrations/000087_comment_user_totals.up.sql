-- What user_totals and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE user_totals
    MODIFY COMMENT 'Each user’s paid and settled orders of all time (rebate and count), for the all-time leaderboard; worked out again whole from order_prices (read with FINAL).',
    COMMENT COLUMN user_id 'The user.',
    COMMENT COLUMN rebate 'The sum of the rebates (yuan).',
    COMMENT COLUMN orders 'Paid and settled orders.',
    COMMENT COLUMN version 'When it was worked out (ns); the newest wins.'
