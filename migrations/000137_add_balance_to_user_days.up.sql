-- user_days gets what a user's balance adds up, so that get_balance reads a
-- row per day the user (or an invitee) ordered on rather than one per order:
-- at 30 M events the busiest users' balances read hundreds of thousands of
-- priced orders each (p50 174-180 ms, p99 375-412 ms while ingesting;
-- docs/benchmarks.md). Materialize works every column out again whole with
-- the rest of the day, from the same rows it already reads; 000138 fills
-- them for the days stored before. A day written by an ingester older than
-- this migration has balanced = 0 (the default), and the balance refuses it
-- rather than count it as zeros (stop the ingesters of the old version
-- first, docs/schema.md; a rebuild of user_days mends such days).
-- The newest event time is last_event_at, not as_of: leaderboards_mv reads
-- user_days under a WITH alias as_of (the refresh's now), and the engine
-- resolves a name to the table's column first, which moved its 7- and 30-day
-- windows to each row's own time (TestWithAliasesShadowNoColumn).
-- rebuild: none (a table Materialize keeps; 000138 fills the new columns)
ALTER TABLE user_days
    ADD COLUMN IF NOT EXISTS pending            Decimal(38, 2)       COMMENT 'The sum of the rebates of the paid orders: the user’s pending balance from this day (yuan).' AFTER busiest_at,
    ADD COLUMN IF NOT EXISTS confirmed          Decimal(38, 2)       COMMENT 'The sum of the rebates of the settled orders: the user’s confirmed balance from this day (yuan).' AFTER pending,
    ADD COLUMN IF NOT EXISTS paid               UInt64               COMMENT 'Paid orders (orders = paid + settled).' AFTER confirmed,
    ADD COLUMN IF NOT EXISTS settled            UInt64               COMMENT 'Settled orders.' AFTER paid,
    ADD COLUMN IF NOT EXISTS inviter_id         UInt64               COMMENT 'Who earns the referrals below: the user’s inviter; 0 when none of the day’s orders earns one (every priced order of a user names the same inviter, or 0).' AFTER settled,
    ADD COLUMN IF NOT EXISTS referral_pending   Decimal(38, 2)       COMMENT 'The inviter’s earnings from the paid orders (yuan).' AFTER inviter_id,
    ADD COLUMN IF NOT EXISTS referral_confirmed Decimal(38, 2)       COMMENT 'The inviter’s earnings from the settled orders (yuan).' AFTER referral_pending,
    ADD COLUMN IF NOT EXISTS referral_void      Decimal(38, 2)       COMMENT 'The inviter’s earnings from the void orders, which are not paid (yuan).' AFTER referral_confirmed,
    ADD COLUMN IF NOT EXISTS last_event_at      DateTime64(3, 'UTC') COMMENT 'The newest event time of the day’s orders (UTC).' AFTER referral_void,
    ADD COLUMN IF NOT EXISTS balanced           UInt8                COMMENT '1: the balance columns above are worked out; 0: the day was written before they existed (by an older ingester), and a balance that would read it is an error until user_days is rebuilt.' AFTER last_event_at,
    MODIFY COMMENT 'Each user’s orders per day of placed_at: rebate and count of the paid and settled ones (the leaderboards, the all-time totals), every and void ones and the busiest hour (the fraud signals), the balance’s figures by state and the inviter’s referral earnings (the balance); worked out again whole from order_prices (read with FINAL).'
