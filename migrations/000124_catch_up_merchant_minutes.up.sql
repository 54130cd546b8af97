-- What was written to the table sorted by merchant between the fill and the
-- swap (000122), by an ingester or a rule put (a reprice), goes to the table
-- sorted by day too: the newest version wins, so copying again is harmless,
-- and a row written since the swap, newer, still wins.
-- Not deduplicated (a replicated table remembers the blocks of a fill that a
-- rollback truncated) and not limited in partitions (a month's each).
INSERT INTO merchant_minutes (merchant_id, minute, orders, gmv, commission, rebate, as_of, version)
SELECT merchant_id, minute, orders, gmv, commission, rebate, as_of, version
FROM merchant_minutes_by_day FINAL
SETTINGS insert_deduplicate = 0, throw_on_max_partitions_per_insert_block = 0
