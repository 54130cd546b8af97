-- A merchant's figures for the window from {since} to {now} (both included):
-- distinct clicks by ts; count, GMV (amount), commission and rebate of the
-- orders placed in it that are not void; conversion = orders / clicks. The
-- whole minutes come from the per-minute buckets (merchant_minutes,
-- click_minutes); the part-minutes at both ends from clicks and order_prices, so the
-- answer is exact to the millisecond and the current minute is fresh.
WITH
    3 AS VOID, -- the order state (rebate.StateVoid)
    {merchant_id:UInt64} AS m,
    {since:DateTime64(3, 'UTC')} AS since,
    {now:DateTime64(3, 'UTC')} AS upto,
    toStartOfMinute(since) AS since_minute,
    if(since_minute = since, since_minute, since_minute + INTERVAL 1 MINUTE) AS first_whole,
    toStartOfMinute(upto) AS last_part,
    -- The event times (ts, placed_at: DateTime64) meet DateTime64 bounds
    -- only, never the DateTime minutes: the engine's index analysis reads
    -- ts < first_whole as ts <= first_whole - 1 s, and skipped a part whose
    -- events all lay in the minute's last second, such as the click at
    -- since when since was hh:mm:59.815 (docs/schema.md, Time bounds).
    toDateTime64(first_whole, 3, 'UTC') AS first_whole_at,
    toDateTime64(last_part, 3, 'UTC') AS last_part_at
SELECT
    m AS merchant_id,
    sum(part_clicks) AS clicks,
    sum(part_orders) AS orders,
    sum(part_gmv) AS gmv,
    sum(part_commission) AS commission,
    sum(part_rebate) AS rebate,
    if(sum(part_clicks) = 0, 0, sum(part_orders) / sum(part_clicks)) AS conversion,
    max(part_as_of) AS as_of
FROM
(
    SELECT clicks AS part_clicks, toUInt64(0) AS part_orders, toDecimal128(0, 2) AS part_gmv,
        toDecimal128(0, 2) AS part_commission, toDecimal128(0, 2) AS part_rebate, as_of AS part_as_of
    FROM click_minutes FINAL
    WHERE merchant_id = m AND minute >= first_whole AND minute < last_part
    UNION ALL
    SELECT 0, orders, gmv, commission, rebate, as_of
    FROM merchant_minutes FINAL
    WHERE merchant_id = m AND minute >= first_whole AND minute < last_part
    UNION ALL
    SELECT count(), 0, 0, 0, 0, max(ts)
    FROM clicks FINAL
    -- Both ends in one branch, inside the window even when it starts and
    -- ends within one minute (then there is no whole minute, and the ends
    -- meet).
    WHERE merchant_id = m AND ts >= since AND ts <= upto AND (ts < first_whole_at OR ts >= last_part_at)
    UNION ALL
    SELECT 0, countIf(state != VOID), sumIf(amount, state != VOID), sumIf(commission, state != VOID),
        sumIf(rebate, state != VOID), max(ts)
    FROM order_prices FINAL
    WHERE merchant_id = m AND placed_at >= since AND placed_at <= upto AND (placed_at < first_whole_at OR placed_at >= last_part_at)
)
