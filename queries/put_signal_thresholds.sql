-- Records {thresholds}, the thresholds every fraud signal was just worked
-- out with.
-- for: service (the ingester works every signal out again when they change)
INSERT INTO service_settings (name, value) SELECT 'signal_thresholds', {thresholds:String}
