ALTER TABLE user_totals
    MODIFY COMMENT 'Each user’s paid and settled orders of all time (rebate and count), for the all-time leaderboard; worked out again whole from order_prices (read with FINAL).'
