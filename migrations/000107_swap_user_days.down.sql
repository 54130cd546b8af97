EXCHANGE TABLES user_days AND user_days_by_user
