-- The table leaderboards was, exchanged away by 000146.
-- rebuild: none (drops a table no view writes)
DROP TABLE IF EXISTS leaderboards_next
