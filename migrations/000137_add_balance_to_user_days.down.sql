ALTER TABLE user_days
    DROP COLUMN IF EXISTS balanced,
    DROP COLUMN IF EXISTS last_event_at,
    DROP COLUMN IF EXISTS referral_void,
    DROP COLUMN IF EXISTS referral_confirmed,
    DROP COLUMN IF EXISTS referral_pending,
    DROP COLUMN IF EXISTS inviter_id,
    DROP COLUMN IF EXISTS settled,
    DROP COLUMN IF EXISTS paid,
    DROP COLUMN IF EXISTS confirmed,
    DROP COLUMN IF EXISTS pending,
    MODIFY COMMENT 'Each user’s orders per day of placed_at: rebate and count of the paid and settled ones (the leaderboards, the all-time totals), every and void ones and the busiest hour (the fraud signals); worked out again whole from order_prices (read with FINAL).'
