-- What invitees' orders placed on or after {since} earn their inviters, by
-- the orders' state (pending: paid, confirmed: settled, void: cancelled or
-- reversed), how many such orders and inviters there are, and as_of (the
-- newest event time included). The live page shows today's.
WITH 1 AS PAID, 2 AS SETTLED, 3 AS VOID
SELECT
    sumIf(referral, state = PAID) AS pending,
    sumIf(referral, state = SETTLED) AS confirmed,
    sumIf(referral, state = VOID) AS voided,
    count() AS orders,
    uniqExact(inviter_id) AS inviters,
    max(ts) AS as_of
FROM order_prices FINAL
WHERE placed_at >= {since:DateTime64(3, 'UTC')} AND inviter_id != 0
