-- What leaderboards holds since 000143, for docs/tables.md and GET /v1/schema.
-- rebuild: none (comments)
ALTER TABLE leaderboards
    MODIFY COMMENT 'Every window’s leaderboard, replaced whole by leaderboards_mv every few seconds (read as stored): the 1h and 24h windows worked out then, the 7d, 30d and all-time windows copied from leaderboards_long, which leaderboards_long_mv works out every 30 s or so. Each window carries its own as_of. Rank 0 of each period is a marker row carrying as_of: skip it (rank > 0) when listing users.',
    COMMENT COLUMN as_of 'The moment the window ends: when its refresh ran (UTC). The 7d, 30d and all-time windows refresh apart from the 1h and 24h ones, so their as_of is older by up to REBATE_LEADERBOARD_LONG_REFRESH.'
