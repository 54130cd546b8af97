ALTER TABLE identities
    MODIFY COMMENT '',
    COMMENT COLUMN kind '',
    COMMENT COLUMN id '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN merchant_id '',
    COMMENT COLUMN product_id '',
    COMMENT COLUMN amount '',
    COMMENT COLUMN commission '',
    COMMENT COLUMN placed_at '',
    COMMENT COLUMN event_id '',
    COMMENT COLUMN first ''
