-- The top users of a window (1h, 24h, 7d, 30d or all): rank, user and the
-- sum of rebates of their paid or settled orders placed in the window, and
-- as_of, the moment the windows end.
SELECT rank, user_id, rebate, as_of
FROM leaderboards
WHERE period = {window:Enum8('1h' = 1, '24h' = 2, '7d' = 3, '30d' = 4, 'all' = 5)} AND rank BETWEEN 1 AND {limit:UInt32}
ORDER BY rank
