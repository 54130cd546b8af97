DROP TABLE IF EXISTS risk_signals
