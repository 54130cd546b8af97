-- One row per minute for the {minutes} whole minutes ending with the one that
-- holds {now}, oldest first, zeros where nothing happened: distinct clicks by
-- ts, and count, GMV, commission and rebate of orders that are not void, by
-- placed_at; as_of is the newest event time a minute includes.
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
    SELECT minute, toUInt64(uniqExactMerge(clicks)) AS clicks, toUInt64(0) AS orders,
        toDecimal128(0, 2) AS gmv, toDecimal128(0, 2) AS commission, toDecimal128(0, 2) AS rebate,
        max(max_ts) AS as_of
    FROM clicks_minutely
    WHERE minute >= first_minute AND minute <= last_minute
    GROUP BY minute
    UNION ALL
    SELECT toStartOfMinute(placed_at) AS minute, toUInt64(0), count(), sum(amount), sum(commission), sum(rebate), max(ts)
    FROM orders_by_time FINAL
    WHERE placed_at >= first_minute AND placed_at < last_minute + INTERVAL 1 MINUTE AND state != VOID
    GROUP BY minute
)
GROUP BY minute
ORDER BY minute WITH FILL FROM first_minute TO last_minute + INTERVAL 1 MINUTE STEP INTERVAL 1 MINUTE
