-- The table sorted by day and the one sorted by merchant swap names at once
-- (EXCHANGE is atomic); what is written to the old one between the fill and
-- this swap, the catch-up after it copies again.
EXCHANGE TABLES merchant_minutes AND merchant_minutes_by_day
