-- The table keyed by day, named user_days_by_user since 000107's exchange,
-- emptied before 000109 drops it, so that a rollback can fill it again
-- (down) before 000107's down swaps it back.
TRUNCATE TABLE IF EXISTS user_days_by_user
