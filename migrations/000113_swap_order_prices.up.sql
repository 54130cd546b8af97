-- The table sorted by day and the one sorted by merchant swap names at once
-- (EXCHANGE is atomic), so every reader finds one or the other whole; the
-- old one, now order_prices_by_day, is dropped by 000116. What is written
-- to the old one between 000112's copy and this swap, 000114 copies again.
EXCHANGE TABLES order_prices AND order_prices_by_day
