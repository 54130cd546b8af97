-- One row per minute for the {minutes} whole minutes ending with the one that
-- holds {now}, oldest first, zeros where nothing happened: distinct clicks by
-- ts, and count, GMV, commission and rebate of orders that are not void, by
-- placed_at; as_of is the newest event time a minute includes. Past minutes
-- come from the per-minute buckets; the current one from clicks and
-- order_prices, fresh.
WITH
    3 AS VOID, -- the order state (rebate.StateVoid)
    toStartOfMinute({now:DateTime64(3, 'UTC')}) AS last_minute,
    last_minute - toIntervalMinute({minutes:UInt16} - 1) AS first_minute
SELECT
    minute,
    sum(clicks) AS clicks,
    sum(orders) AS orders,
    sum(gmv) AS gmv,
    sum(commission) AS commission,
    sum(rebate) AS rebate,
    max(as_of) AS as_of
FROM
(
    SELECT minute, sum(clicks) AS clicks, toUInt64(0) AS orders, toDecimal128(0, 2) AS gmv,
        toDecimal128(0, 2) AS commission, toDecimal128(0, 2) AS rebate, max(as_of) AS as_of
    FROM click_minutes FINAL
    WHERE minute >= first_minute AND minute < last_minute
    GROUP BY minute
    UNION ALL
    SELECT minute, 0, sum(orders), sum(gmv), sum(commission), sum(rebate), max(as_of)
    FROM merchant_minutes FINAL
    WHERE minute >= first_minute AND minute < last_minute
    GROUP BY minute
    UNION ALL
    SELECT last_minute, count(), 0, 0, 0, 0, max(ts)
    FROM clicks FINAL
    WHERE ts >= last_minute AND ts < last_minute + INTERVAL 1 MINUTE
    UNION ALL
    SELECT last_minute, 0, countIf(state != VOID), sumIf(amount, state != VOID), sumIf(commission, state != VOID),
        sumIf(rebate, state != VOID), max(ts)
    FROM order_prices FINAL
    WHERE placed_at >= last_minute AND placed_at < last_minute + INTERVAL 1 MINUTE
)
GROUP BY minute
ORDER BY minute WITH FILL FROM first_minute TO last_minute + INTERVAL 1 MINUTE STEP INTERVAL 1 MINUTE
