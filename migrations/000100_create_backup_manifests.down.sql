DROP TABLE IF EXISTS backup_manifests
