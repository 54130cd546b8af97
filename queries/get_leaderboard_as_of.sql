-- for: service
-- The moment a window's leaderboard ends (its rank-0 marker row), for an
-- answer with no ranked user to take it from.
SELECT as_of
FROM leaderboards
WHERE period = {window:Enum8('1h' = 1, '24h' = 2, '7d' = 3, '30d' = 4, 'all' = 5)} AND rank = 0
LIMIT 1
