TRUNCATE TABLE IF EXISTS withdrawal_identity
