-- The outbox (issue 14): every order state change the merchant must hear of is stored here in
-- the same transaction that changes the order, and delivered later by the delivery worker
-- (`src/outbox/`). Portable SQL: the same file runs on SQLite and PostgreSQL.

-- One row per event. `seq` is the order's transition number (1 for its first change), so
-- events of one order have a fixed order without a database-specific sequence. `payload` is
-- the exact JSON body sent (and signed), written once.
CREATE TABLE outbox_events (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Set once the worker has made this event's delivery rows (one per configured endpoint).
    fanned_out BIGINT NOT NULL DEFAULT 0,
    UNIQUE (order_id, seq)
);

CREATE INDEX outbox_events_fan_out ON outbox_events (fanned_out, created_at);

-- One row per event and endpoint. `state` is `pending`, `delivered` or `dead` (the
-- dead-letter state: retries exhausted or the endpoint answered 410; the operator replays).
-- Times in milliseconds since the epoch. `lease_until` / `lease_owner`: the instance sending
-- it now; another instance takes it over only after the lease lapsed.
CREATE TABLE deliveries (
    event_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    order_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    lease_owner TEXT,
    last_status BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    PRIMARY KEY (event_id, endpoint)
);

CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_order ON deliveries (endpoint, order_id, seq);
