-- A user's place in a window's leaderboard and up to {neighbors} users on each
-- side, with as_of, the moment the windows end. No row means the user is not
-- ranked (no paid or settled order placed in the window).
WITH
(
    SELECT rank FROM leaderboards
    WHERE period = {window:Enum8('1h' = 1, '24h' = 2, '7d' = 3, '30d' = 4, 'all' = 5)} AND user_id = {user_id:UInt64} AND rank > 0
    LIMIT 1
) AS r
SELECT rank, user_id, rebate, as_of
FROM leaderboards
WHERE period = {window:Enum8('1h' = 1, '24h' = 2, '7d' = 3, '30d' = 4, 'all' = 5)}
  AND r > 0 AND rank >= greatest(r, {neighbors:UInt32} + 1) - {neighbors:UInt32} AND rank <= r + {neighbors:UInt32}
ORDER BY rank
