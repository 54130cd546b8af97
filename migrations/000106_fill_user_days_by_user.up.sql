-- Works out every user's days from order_prices into the table 000105 made,
-- as materialize_user_days.sql does for a batch's: the busiest hour of a day
-- counts orders up to an hour into the next.
INSERT INTO user_days_by_user (day, user_id, rebate, orders, placed, voided, busiest, busiest_at, version)
WITH 1 AS PAID, 2 AS SETTLED, 3 AS VOID
SELECT toDate(placed_at) AS day, user_id,
    sumIf(rebate, state IN (PAID, SETTLED)) AS rebate, countIf(state IN (PAID, SETTLED)) AS orders,
    count() AS placed, countIf(state = VOID) AS voided,
    toUInt32(max(in_hour)) AS busiest, argMax(placed_at, (in_hour, -toUnixTimestamp64Milli(placed_at))) AS busiest_at,
    toUnixTimestamp64Nano(now64(9)) AS version
FROM
(
    SELECT user_id, placed_at, state, rebate,
        count() OVER (PARTITION BY user_id ORDER BY toUnixTimestamp64Milli(placed_at)
                      RANGE BETWEEN CURRENT ROW AND 3599999 FOLLOWING) AS in_hour
    FROM order_prices FINAL
)
GROUP BY day, user_id
