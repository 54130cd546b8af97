DROP VIEW IF EXISTS identities_mv
