RENAME TABLE user_days TO user_days_by_user, user_days_by_day TO user_days
