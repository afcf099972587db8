//! A static file server for the bench pages: HTML never cached, everything else cacheable
//! for an hour (so "warm" loads come from the browser's cache), no compression (loopback).

use std::path::PathBuf;

use axum::{
    extract::State,
    http::{header, StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};

/// Serves `root` on a free loopback port; returns `http://127.0.0.1:PORT`.
pub async fn serve(root: PathBuf) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let app = Router::new().fallback(file).with_state(root);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(origin)
}

async fn file(State(root): State<PathBuf>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let rel = if path.is_empty() { "index.html" } else { path };
    if rel.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let file = root.join(rel);
    let Ok(body) = tokio::fs::read(&file).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let ctype = match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
    let cache = if ext == "html" { "no-store" } else { "public, max-age=3600" };
    ([(header::CONTENT_TYPE, ctype), (header::CACHE_CONTROL, cache)], body).into_response()
}
