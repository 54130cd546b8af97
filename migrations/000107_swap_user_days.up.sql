-- The table keyed by user takes the name user_days in one statement, so every
-- reader finds one or the other whole; the old one stays as user_days_by_day
-- until 000109 drops it. Stop the ingesters of the old version first
-- (docs/schema.md): a batch they priced between 000106 and this one would be
-- missing from the new table (rebate reconcile --check user_figures shows it,
-- and rebate rebuild --table orders works it out again).
RENAME TABLE user_days TO user_days_by_day, user_days_by_user TO user_days
