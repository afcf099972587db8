//! A static file server for the bench pages: HTML never cached, everything else cacheable
//! for an hour (so "warm" loads come from the browser's cache), and every file brotli-compressed
//! (quality 11) for a browser that accepts it, as a CDN serves the widget and the anchors alike:
//! over the emulated link the bytes on the wire are the ones `cargo xtask size` counts.
//! Each file is compressed once, on its first request (the bench's throwaway loads).

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};

/// The files served, and their compressed forms made so far.
struct Site {
    root: PathBuf,
    compressed: Mutex<HashMap<PathBuf, Bytes>>,
}

/// Serves `root` on a free loopback port; returns `http://127.0.0.1:PORT`.
pub async fn serve(root: PathBuf) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let site = Arc::new(Site { root, compressed: Mutex::new(HashMap::new()) });
    let app = Router::new().fallback(file).with_state(site);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(origin)
}

async fn file(State(site): State<Arc<Site>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let rel = if path.is_empty() { "index.html" } else { path };
    if rel.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let file = site.root.join(rel);
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
    let accepts_brotli = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("br")));
    let plain = [(header::CONTENT_TYPE, ctype), (header::CACHE_CONTROL, cache)];
    if !accepts_brotli {
        return (plain, body).into_response();
    }
    let Ok(compressed) = compressed(&site, file, body).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (plain, [(header::CONTENT_ENCODING, "br"), (header::VARY, "accept-encoding")], compressed)
        .into_response()
}

/// `body` (the contents of `file`) brotli-compressed; from the cache after the first time
/// (the site does not change while the bench runs).
async fn compressed(site: &Site, file: PathBuf, body: Vec<u8>) -> anyhow::Result<Bytes> {
    if let Some(done) = site.compressed.lock().expect("cache lock").get(&file) {
        return Ok(done.clone());
    }
    let done =
        Bytes::from(tokio::task::spawn_blocking(move || crate::size::brotli_best(&body)).await??);
    site.compressed.lock().expect("cache lock").insert(file, done.clone());
    Ok(done)
}
