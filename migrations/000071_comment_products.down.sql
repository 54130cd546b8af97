ALTER TABLE products
    MODIFY COMMENT '',
    COMMENT COLUMN product_id '',
    COMMENT COLUMN latest ''
