-- The view that worked out every window into leaderboards goes: its table
-- becomes a view of two tables (000146), and two views refresh them
-- (000150, 000151). The leaderboards stand still from here until then; the
-- next migrations copy them as they are.
-- rebuild: none (drops a view)
DROP VIEW IF EXISTS leaderboards_mv
