-- The table sorted by merchant, named order_prices_by_day since 000113's
-- exchange, emptied before 000116 drops it, so that a rollback can fill it
-- again (down) before 000113's down swaps it back.
TRUNCATE TABLE IF EXISTS order_prices_by_day
