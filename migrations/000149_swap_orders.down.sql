EXCHANGE TABLES orders AND orders_by_day
