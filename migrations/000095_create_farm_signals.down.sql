DROP VIEW IF EXISTS farm_signals
