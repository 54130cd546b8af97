-- The table keyed by user and the one keyed by day swap names at once
-- (EXCHANGE is atomic, where a RENAME of two tables leaves a moment with no
-- user_days), so every reader finds one or the other whole; the old one, now
-- user_days_by_user, is dropped by 000109. Stop the ingesters of the old
-- version first (docs/schema.md): a batch they priced between 000106 and
-- this one would be missing from the new table (rebate reconcile --check
-- user_figures shows it, and rebate rebuild --table orders works it out
-- again).
EXCHANGE TABLES user_days AND user_days_by_user
