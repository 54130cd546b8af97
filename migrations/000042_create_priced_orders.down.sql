DROP VIEW IF EXISTS priced_orders
