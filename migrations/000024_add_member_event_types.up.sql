-- Two new types: user_joined and user_tier_changed (docs/events.md). Adding
-- values to an Enum changes metadata only.
ALTER TABLE events MODIFY COLUMN type Enum8('click' = 1, 'order_paid' = 2, 'order_settled' = 3, 'order_cancelled' = 4, 'order_reversed' = 5, 'withdrawal_requested' = 6, 'withdrawal_completed' = 7, 'withdrawal_failed' = 8, 'product_updated' = 9, 'user_joined' = 10, 'user_tier_changed' = 11)
