-- The business profile and the customer directory (see src/store/profile.rs, customers.rs).
-- Keep in step with ../sqlite/0020_profile_customers.sql.
-- A profile row exists once the owner saves one; every field may be empty.
CREATE TABLE business_profiles (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    legal_name TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    tax_id TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    brand_color TEXT NOT NULL DEFAULT '',
    default_currency TEXT,
    payment_terms_days BIGINT,
    payment_instructions TEXT NOT NULL DEFAULT '',
    number_prefix TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- The logo as checked on upload (PNG or JPEG, at most 1 MiB); served with this content type.
CREATE TABLE business_logos (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);

-- `name_key` is the lower-cased name: an invoice naming a customer inline finds them by it.
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    email TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    tax_id TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, name_key)
);
