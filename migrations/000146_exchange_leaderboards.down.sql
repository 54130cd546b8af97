-- leaderboards is the table again (made empty by 000147's down), the view
-- leaderboards_next until 000145's down drops it.
EXCHANGE TABLES leaderboards AND leaderboards_next
