-- Reconciles the per-user buckets the leaderboards add up with the same
-- buckets worked out again from the priced orders (order_prices): user_days
-- (rebate and count of paid and settled orders per user and UTC day of
-- placed_at, from {since} on) and user_totals (of all time, for the users
-- with an order placed since {since}), and what the fraud signals read of
-- each day (every order, the void ones, the busiest hour starting that day:
-- the "signals" figure, those four in one). A row per bucket and figure that
-- differs.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    toDate({since:DateTime64(3, 'UTC')}) AS first_day,
    active AS (SELECT DISTINCT user_id FROM order_prices FINAL WHERE toDate(placed_at) >= first_day),
    expected_days AS (
        SELECT 'user_days' AS tbl, user_id, toString(toDate(placed_at)) AS bucket,
            sumIf(toInt64(rebate * 100), state IN (1, 2)) AS e_rebate, countIf(state IN (1, 2)) AS e_orders,
            concat(toString(count()), ' ', toString(countIf(state = 3)), ' ', toString(max(in_hour)), ' ',
                   toString(argMax(placed_at, (in_hour, -toUnixTimestamp64Milli(placed_at))))) AS e_signals
        FROM
        (
            -- An hour starting on a day from first_day on ends after it:
            -- the orders from first_day on are all it counts.
            SELECT user_id, placed_at, state, rebate,
                count() OVER (PARTITION BY user_id ORDER BY toUnixTimestamp64Milli(placed_at)
                              RANGE BETWEEN CURRENT ROW AND 3599999 FOLLOWING) AS in_hour
            FROM order_prices FINAL
            WHERE toDate(placed_at) >= first_day
        )
        GROUP BY user_id, bucket
        UNION ALL
        SELECT 'user_totals', user_id, 'all time',
            sumIf(toInt64(rebate * 100), state IN (1, 2)), countIf(state IN (1, 2)), ''
        FROM order_prices FINAL
        WHERE user_id IN active
        GROUP BY user_id
    ),
    found_days AS (
        SELECT 'user_days' AS tbl, user_id, toString(day) AS bucket, toInt64(rebate * 100) AS f_rebate, orders AS f_orders,
            concat(toString(placed), ' ', toString(voided), ' ', toString(busiest), ' ', toString(busiest_at)) AS f_signals
        FROM user_days FINAL
        WHERE day >= first_day
        UNION ALL
        SELECT 'user_totals', user_id, 'all time', toInt64(rebate * 100), orders, ''
        FROM user_totals FINAL
        WHERE user_id IN active
    )
SELECT concat(tbl, ' ', figure) AS figure, user_id, toUInt64(0) AS merchant_id, bucket AS detail, expected, found
FROM
(
    SELECT tbl, user_id, bucket,
        ['rebate', 'orders', 'signals'] AS figures,
        [toString(toDecimal128(e_rebate, 2) / 100), toString(e_orders), e_signals] AS expected_values,
        [toString(toDecimal128(f_rebate, 2) / 100), toString(f_orders), f_signals] AS found_values
    FROM expected_days
    FULL OUTER JOIN found_days USING (tbl, user_id, bucket)
)
ARRAY JOIN figures AS figure, expected_values AS expected, found_values AS found
WHERE expected != found
ORDER BY user_id, detail, figure
