DROP TABLE IF EXISTS rebate_rules
