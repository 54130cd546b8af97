-- Not deduplicated (a replicated table remembers the blocks of a fill that a
-- rollback truncated) and not limited in partitions (a month's each).
INSERT INTO click_minutes_by_day (merchant_id, minute, clicks, as_of, version)
SELECT merchant_id, minute, clicks, as_of, version
FROM click_minutes FINAL
SETTINGS insert_deduplicate = 0, throw_on_max_partitions_per_insert_block = 0
