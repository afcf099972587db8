-- Provider answers Kassa could not accept (issue 11). Portable SQL: the same file runs on
-- SQLite and PostgreSQL.

-- When a provider last answered something its documents do not allow about this order (an
-- unknown status, an amount that differs). The order keeps its state; `last_error` says why
-- for the operator, and while the order waits the widget tells the customer the payment
-- could not be confirmed yet.
ALTER TABLE orders ADD COLUMN unconfirmed_at BIGINT;
