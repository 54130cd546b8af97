-- user_totals now adds up user_days (000105–000109), not orders.
ALTER TABLE user_totals
    MODIFY COMMENT 'Each user’s paid and settled orders of all time (rebate and count), for the all-time leaderboard; worked out again whole by adding up the user’s days in user_days (read with FINAL).'
