INSERT INTO user_days_by_user (day, user_id, rebate, orders, version)
SELECT day, user_id, rebate, orders, version FROM user_days FINAL
