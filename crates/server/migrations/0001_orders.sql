-- Orders: one row per checkout attempt, stored before any provider is called.
-- Portable SQL: the same file runs on SQLite and PostgreSQL.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    method TEXT NOT NULL,
    provider TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    quote_json TEXT NOT NULL,
    request_json TEXT NOT NULL,
    provider_ref TEXT,
    action_json TEXT,
    expires_at BIGINT,
    lease_until BIGINT,
    paid_minor BIGINT,
    paid_at BIGINT,
    last_error TEXT,
    last_checked_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX orders_provider_ref ON orders (provider, provider_ref);

-- Every verified provider notification, deduplicated by the provider's own identity.
CREATE TABLE inbox (
    provider TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    order_id TEXT,
    event TEXT,
    outcome TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, dedup_key)
);

-- Every state change, for audit and for tests that count transitions.
CREATE TABLE order_events (
    order_id TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    cause TEXT NOT NULL,
    at BIGINT NOT NULL
);

CREATE INDEX order_events_order ON order_events (order_id);
