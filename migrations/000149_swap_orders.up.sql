-- The table sorted by day and the one sorted by merchant swap names at once
-- (EXCHANGE is atomic), so every reader finds one or the other whole. The
-- view that writes orders (orders_mv, TO orders) writes by name: from now
-- on, to the table sorted by day. The old one, now orders_by_day, is dropped
-- by 000152; what is written to it between 000148's copy and this swap,
-- 000150 copies again.
EXCHANGE TABLES orders AND orders_by_day
