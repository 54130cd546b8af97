DROP TABLE IF EXISTS published_queries
