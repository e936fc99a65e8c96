-- Staging: the day's landing files, typed. Every column a feed may leave empty is nullable:
-- conformance judges missing values, not the loader. Each table is partitioned by LIST on
-- batch_date so that a day is replaced atomically by swapping its partition (the loader
-- creates staging.<table>_YYYYMMDD partitions as it loads).

CREATE TABLE staging.events (
    batch_date  date        NOT NULL,
    source_line bigint      NOT NULL,
    event_id    text COLLATE "C",
    event_ts    timestamptz,
    user_id     bigint,
    session_id  text COLLATE "C",
    event_type  text,
    page_url    text,
    product_id  bigint,
    quantity    bigint,
    unit_price  numeric(12,2),
    order_id    text COLLATE "C",
    device      text,
    country     text
) PARTITION BY LIST (batch_date);
COMMENT ON TABLE staging.events IS 'events.csv of each logical day as loaded; source_line is the line the record starts on.';

CREATE TABLE staging.users (
    batch_date          date    NOT NULL,
    source_line         bigint  NOT NULL,
    user_id             bigint,
    email               text,
    full_name           text,
    country             text,
    city                text,
    device              text,
    acquisition_channel text,
    plan                text,
    signup_date         date,
    updated_at          timestamptz,
    is_deleted          boolean
) PARTITION BY LIST (batch_date);
COMMENT ON TABLE staging.users IS 'users.csv change feed of each logical day (creations, changes, deletions) as loaded.';

CREATE TABLE staging.products (
    batch_date  date    NOT NULL,
    source_line bigint  NOT NULL,
    product_id  bigint,
    sku         text,
    name        text,
    category    text,
    brand       text,
    unit_price  numeric(12,2),
    is_active   boolean,
    updated_at  timestamptz
) PARTITION BY LIST (batch_date);
COMMENT ON TABLE staging.products IS 'products.csv catalogue feed of each logical day (new and changed products) as loaded.';
