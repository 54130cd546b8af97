-- leaderboards is the table again (made by 000149's down, filled by the
-- downs of 000148 and 000147), the view leaderboards_next until 000145's
-- down drops it.
EXCHANGE TABLES leaderboards AND leaderboards_next
