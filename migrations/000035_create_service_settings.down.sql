DROP TABLE IF EXISTS service_settings
