-- Fraud signals (docs/events.md, Fraud signals; docs/schema.md, Fraud
-- signals), each with the evidence that raised it. One row per signal and
-- subject once merged: (no_click, the order's user, the order) and
-- (cancel_rate | velocity | invite_farm, the user, ''). Written whole by
-- clickhouse.Materialize for the subjects a batch of events touched, raised
-- or not, with a newer version, and read with FINAL: a signal that no longer
-- holds (a late click, clean orders) is withdrawn by its newer row. The
-- evidence columns a signal does not use are zero:
--   at            no_click: the order's placed_at; cancel_rate: the user's
--                 latest placed_at (the window's end); velocity: the start of
--                 the busiest hour; invite_farm: the latest invitee's join
--   window_start  the start of the window the evidence covers (inclusive)
--   window_end    its end (velocity: exclusive, at + 1 h)
--   last_click    no_click: the user's latest click on the product at or
--                 before placed_at (the epoch: none)
--   orders        cancel_rate: orders in the window; velocity: orders in the
--                 busiest hour; invite_farm: the invitees' orders
--   voided        cancel_rate: of those, cancelled or reversed
--   invitees      invite_farm: users the inviter invited
--   settled       invite_farm: the invitees' settled orders
CREATE TABLE IF NOT EXISTS risk_signals
(
    user_id      UInt64,
    signal       Enum8('no_click' = 1, 'cancel_rate' = 2, 'velocity' = 3, 'invite_farm' = 4),
    ref          String,
    raised       Bool,
    at           DateTime64(3, 'UTC'),
    window_start DateTime64(3, 'UTC'),
    window_end   DateTime64(3, 'UTC'),
    merchant_id  UInt64,
    product_id   UInt64,
    last_click   DateTime64(3, 'UTC'),
    orders       UInt32,
    voided       UInt32,
    invitees     UInt32,
    settled      UInt32,
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (user_id, signal, ref)
SETTINGS index_granularity = 1024
