-- The thresholds the fraud signals were last worked out with, whole (''
-- when never set: the migration worked them out at the defaults).
-- for: service (the ingester works every signal out again when they change)
SELECT argMax(value, updated_at) FROM service_settings WHERE name = 'signal_thresholds'
