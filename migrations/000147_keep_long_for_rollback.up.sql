-- Nothing to do going up. Going down, the long windows go back into the
-- table leaderboards was (made again by 000149's down) before it is
-- exchanged back (000146's down), so that no read finds a leaderboard empty.
-- rebuild: none (nothing changes)
SELECT 1
