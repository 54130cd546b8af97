DROP TABLE IF EXISTS withdrawal_identity
