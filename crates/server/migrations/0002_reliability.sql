-- Reliability (issue 5). Portable SQL: the same file runs on SQLite and PostgreSQL.

-- Provider-create attempts, counted before each is sent: an order in `created` with attempts
-- above zero may have a provider session whose answer was lost (R-I5).
ALTER TABLE orders ADD COLUMN provider_attempts BIGINT NOT NULL DEFAULT 0;

-- The x-request-id of the request that created the order, so that webhook and recovery logs
-- name the checkout they belong to.
ALTER TABLE orders ADD COLUMN request_id TEXT;

-- Recovery and reconciliation scan orders by state and age (R-K7, R-S4).
CREATE INDEX orders_state_updated ON orders (state, updated_at);
