-- The table sorted by merchant, emptied before it is dropped, so that a
-- rollback can fill it again (down) before the swap's down.
TRUNCATE TABLE IF EXISTS merchant_minutes_by_day
