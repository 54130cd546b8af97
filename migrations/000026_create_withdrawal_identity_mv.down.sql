DROP VIEW IF EXISTS withdrawal_identity_mv
