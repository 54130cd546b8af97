-- What leaderboards and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE leaderboards
    MODIFY COMMENT 'Every window’s leaderboard as of one moment, replaced whole by leaderboards_mv every few seconds (read as stored). Rank 0 of each period is a marker row carrying as_of: skip it (rank > 0) when listing users.',
    COMMENT COLUMN period 'The window, ending at as_of: 1h, 24h, 7d, 30d or all.',
    COMMENT COLUMN rank '1 for the user with the most rebate, ties by user_id; 0 is the marker row of the period.',
    COMMENT COLUMN user_id 'The user (0 on the marker row).',
    COMMENT COLUMN rebate 'The sum of the rebates of the user’s paid or settled orders placed in the window (yuan).',
    COMMENT COLUMN as_of 'The moment the windows end: when the refresh ran (UTC).'
