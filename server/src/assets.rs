//! The browser's files (ES modules, CSS, icons, bundled scenarios), compiled into the binary so
//! `playground` is one file that works offline. No build step: what is in `static/` is served.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../static/"]
pub struct Static;

/// The scenario the default room plays: 3 brokers, `orders` with 3 partitions at replication 3,
/// a keyed producer and a group of two consumers.
pub const DEMO_SCENARIO: &str = "scenarios/demo.scenario";

/// A bundled text file (a scenario), if it exists.
pub fn text(path: &str) -> Option<String> {
    let file = Static::get(path)?;
    String::from_utf8(file.data.into_owned()).ok()
}

/// `GET /static/{path}`.
pub fn serve(path: &str) -> Response {
    let Some(file) = Static::get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mime = file.metadata.mimetype();
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    // Modules change with the binary; the page is tiny, so never serve a stale one.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
