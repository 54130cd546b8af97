DROP VIEW IF EXISTS withdrawals_mv
