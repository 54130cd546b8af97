DROP TABLE IF EXISTS rule_timeline
