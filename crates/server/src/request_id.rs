//! The id of the request being served (`x-request-id`), readable anywhere below the handler.
//!
//! `startup` gives every request an id (or keeps the caller's) and puts it on the request's
//! log span; this middleware also makes it a task-local, so the checkout service can store it
//! with the order it creates. Later webhooks, polls and recovery runs for that order log it as
//! `origin_request_id`, so one id follows a checkout from the widget's request to the provider
//! call and the webhook that settles it.

use axum::{extract::Request, middleware::Next, response::Response};

/// The header that carries the id.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The current request's id, if this code runs inside a request.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Middleware: runs the rest of the request with its id as the task-local.
pub async fn scope(req: Request, next: Next) -> Response {
    let id = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    match id {
        Some(id) => CURRENT.scope(id, next.run(req)).await,
        None => next.run(req).await,
    }
}
