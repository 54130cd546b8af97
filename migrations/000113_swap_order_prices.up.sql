-- The table sorted by day and the one sorted by merchant swap names at once
-- (EXCHANGE is atomic), so every reader finds one or the other whole; the
-- old one, now order_prices_by_day, is dropped by 000115. Stop the ingesters
-- of the old version first (docs/schema.md): an order they priced between
-- 000112 and this one would be missing from the new table (rebate reconcile
-- --check orders shows it, and rebate rebuild --table order_prices prices it
-- again).
EXCHANGE TABLES order_prices AND order_prices_by_day
