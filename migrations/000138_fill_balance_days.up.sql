-- Works out every user's days again from order_prices, with the balance's
-- columns 000137 added, as materialize_user_days.sql does for a batch's.
-- Run with the ingesters of the old version stopped (docs/schema.md): its
-- version is the statement's start, which a batch priced meanwhile by an
-- older binary could not outrun. Deduplication off: a replicated table
-- remembers the blocks of a fill that a rollback undid.
-- rebuild: none (a table Materialize keeps, filled here whole)
INSERT INTO user_days (day, user_id, rebate, orders, placed, voided, busiest, busiest_at,
                       pending, confirmed, paid, settled, inviter_id,
                       referral_pending, referral_confirmed, referral_void, last_event_at, balanced, version)
WITH 1 AS PAID, 2 AS SETTLED, 3 AS VOID
SELECT toDate(placed_at) AS day, user_id,
    sumIf(rebate, state IN (PAID, SETTLED)), countIf(state IN (PAID, SETTLED)),
    count(), countIf(state = VOID),
    toUInt32(max(in_hour)), argMax(placed_at, (in_hour, -toUnixTimestamp64Milli(placed_at))),
    sumIf(rebate, state = PAID), sumIf(rebate, state = SETTLED), countIf(state = PAID), countIf(state = SETTLED),
    max(inviter_id), sumIf(referral, state = PAID), sumIf(referral, state = SETTLED), sumIf(referral, state = VOID),
    max(ts), 1,
    toUnixTimestamp64Nano(now64(9))
FROM
(
    SELECT user_id, placed_at, state, rebate, inviter_id, referral, ts,
        count() OVER (PARTITION BY user_id ORDER BY toUnixTimestamp64Milli(placed_at)
                      RANGE BETWEEN CURRENT ROW AND 3599999 FOLLOWING) AS in_hour
    FROM order_prices FINAL
)
GROUP BY day, user_id
SETTINGS insert_deduplicate = 0
