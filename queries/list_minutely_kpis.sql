-- One row per minute for the {minutes} whole minutes ending with the one that
-- holds {now}, oldest first, zeros where nothing happened: distinct clicks by
-- ts, and count, GMV, commission and rebate of orders that are not void, by
-- placed_at; as_of is the newest event time a minute includes. Every minute,
-- the current one too, comes from the per-minute buckets, which are worked
-- out again after each batch of events is stored: as fresh as the other
-- figures.
WITH
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
    -- The current minute from clicks and order_prices instead would read
    -- every event of it across the merchants: at 20,000 events/s up to a
    -- million rows a call, most of what the call cost while ingesting
    -- (docs/benchmarks.md, Reads while ingesting).
    SELECT minute, sum(clicks) AS clicks, toUInt64(0) AS orders, toDecimal128(0, 2) AS gmv,
        toDecimal128(0, 2) AS commission, toDecimal128(0, 2) AS rebate, max(as_of) AS as_of
    FROM click_minutes FINAL
    WHERE minute >= first_minute AND minute <= last_minute
    GROUP BY minute
    UNION ALL
    SELECT minute, 0, sum(orders), sum(gmv), sum(commission), sum(rebate), max(as_of)
    FROM merchant_minutes FINAL
    WHERE minute >= first_minute AND minute <= last_minute
    GROUP BY minute
)
GROUP BY minute
ORDER BY minute WITH FILL FROM first_minute TO last_minute + INTERVAL 1 MINUTE STEP INTERVAL 1 MINUTE
