-- Works out each order event's rebate as it arrives:
-- floor(commission * share, 2), where share is the order's merchant's rule with
-- the latest effective_from <= placed_at, else the default rule (merchant 0)
-- likewise, else 0. ASOF JOIN reads the rules table itself, so a new rule
-- counts from the next insert on (a dictionary would lag its reload).
CREATE MATERIALIZED VIEW IF NOT EXISTS order_changes_mv TO order_changes AS
SELECT
    e.order_id    AS order_id,
    e.user_id     AS user_id,
    e.merchant_id AS merchant_id,
    e.product_id  AS product_id,
    toUInt8(multiIf(e.type = 'order_paid', 1, e.type = 'order_settled', 2, 3)) AS state,
    e.amount      AS amount,
    e.commission  AS commission,
    if(m.found = 1, m.share, if(d.found = 1, d.share, toDecimal32(0, 4))) AS share,
    toDecimal64(toDecimal128(e.commission, 2) * share, 2) AS rebate,
    e.placed_at   AS placed_at,
    e.ts          AS ts
FROM
(
    SELECT * FROM events
    WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed')
) AS e
ASOF LEFT JOIN
(
    SELECT merchant_id, effective_from, share, toUInt8(1) AS found FROM rebate_rules FINAL
) AS m ON e.merchant_id = m.merchant_id AND e.placed_at >= m.effective_from
ASOF LEFT JOIN
(
    SELECT merchant_id, effective_from, share, toUInt8(1) AS found FROM rebate_rules FINAL WHERE merchant_id = 0
) AS d ON e.merchant_id * 0 = d.merchant_id AND e.placed_at >= d.effective_from
