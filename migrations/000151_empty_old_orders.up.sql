-- The table sorted by merchant, named orders_by_day since 000149's exchange,
-- emptied before 000152 drops it, so that a rollback can fill it again
-- (down) before 000149's down swaps it back.
TRUNCATE TABLE IF EXISTS orders_by_day
