-- The comments as 000074 wrote them.
ALTER TABLE leaderboards
    MODIFY COMMENT 'Every window’s leaderboard as of one moment, replaced whole by leaderboards_mv every few seconds (read as stored). Rank 0 of each period is a marker row carrying as_of: skip it (rank > 0) when listing users.',
    COMMENT COLUMN as_of 'The moment the windows end: when the refresh ran (UTC).'
