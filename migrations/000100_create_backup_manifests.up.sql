-- One row per backup `rebate backup create` takes, written just before the
-- BACKUP so that the backup holds its own: the consumer group's committed
-- offsets at that moment (manifest, JSON), from which `rebate backup restore
-- --reset-offsets` replays what Kafka still holds since. Not derived from
-- events: no view writes it, and a rebuild leaves it alone.
-- rebuild: none (no view)
CREATE TABLE IF NOT EXISTS backup_manifests
(
    name       String               COMMENT 'The backup’s name (rebate backup list).',
    created_at DateTime64(3, 'UTC') COMMENT 'When the backup was taken (UTC).',
    base       String               COMMENT 'The backup an incremental one builds on; empty for a full backup.',
    manifest   String               COMMENT 'JSON: the consumer group’s committed offsets per topic partition when the backup was taken.'
)
ENGINE = MergeTree
ORDER BY (name, created_at)
COMMENT 'One row per rebate backup create, written just before the BACKUP: the Kafka offsets each backup was taken at, for restore --reset-offsets. Not a figure; not derived from events.'
