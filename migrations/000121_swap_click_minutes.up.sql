-- The table sorted by day and the one sorted by merchant swap names at once
-- (EXCHANGE is atomic); what is written to the old one between the fill and
-- this swap, the catch-up after it copies again.
EXCHANGE TABLES click_minutes AND click_minutes_by_day
