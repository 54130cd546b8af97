-- leaderboards becomes the view of 000145, in one step; the table it was is
-- named leaderboards_next until 000149 drops it.
-- rebuild: none (a rename)
EXCHANGE TABLES leaderboards AND leaderboards_next
