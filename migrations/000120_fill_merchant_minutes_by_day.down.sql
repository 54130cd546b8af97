-- After the swap back (the swap's down), what was written to the table
-- sorted by day since the rollback's copy goes to the table sorted by
-- merchant too (the newest version wins, so copying again is harmless); the
-- create's down drops it.
-- Not deduplicated (a replicated table remembers the blocks of a fill that a
-- rollback truncated) and not limited in partitions (a month's each).
INSERT INTO merchant_minutes (merchant_id, minute, orders, gmv, commission, rebate, as_of, version)
SELECT merchant_id, minute, orders, gmv, commission, rebate, as_of, version
FROM merchant_minutes_by_day FINAL
SETTINGS insert_deduplicate = 0, throw_on_max_partitions_per_insert_block = 0
