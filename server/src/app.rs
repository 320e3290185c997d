//! The HTTP side: the page, its static files and the WebSocket, as one axum `Router`.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /` | the page, showing the `demo` room |
//! | `GET /r/{room}` | the page for another room (started on first visit) |
//! | `GET /static/{*path}` | ES modules, CSS, bundled scenarios (embedded) |
//! | `GET /ws/{room}` | the WebSocket (protocol in [`crate::wire`]) |
//! | `GET /healthz` | `ok` |

use askama::Template;
use axum::Router;
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::assets;
use crate::rooms::{DEFAULT_ROOM, Rooms};
use crate::ws::{MAX_WS_MESSAGE_BYTES, serve_viewer};

/// Scripts only from this server: even if user text ever reached the DOM as HTML, an inline
/// `onerror=` handler could not run.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    room: &'a str,
    title: &'a str,
    version: &'a str,
}

pub fn app(rooms: Rooms) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/r/{room}", get(room_page))
        .route("/static/{*path}", get(static_file))
        .route("/ws/{room}", get(websocket))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(rooms)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

fn page(rooms: &Rooms, room: &str) -> Response {
    let page = IndexPage {
        room,
        title: rooms.title().unwrap_or("Kafka Playground"),
        version: env!("CARGO_PKG_VERSION"),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn index(State(rooms): State<Rooms>) -> Response {
    page(&rooms, DEFAULT_ROOM)
}

async fn room_page(State(rooms): State<Rooms>, Path(room): Path<String>) -> Response {
    match rooms.get(&room) {
        Ok(_) => page(&rooms, &room),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn static_file(Path(path): Path<String>) -> Response {
    assets::serve(&path)
}

async fn websocket(
    State(rooms): State<Rooms>,
    Path(room): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    match rooms.get(&room) {
        Ok(room) => upgrade
            .max_message_size(MAX_WS_MESSAGE_BYTES)
            .on_upgrade(move |socket| serve_viewer(socket, room)),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(app: Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = app
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    fn rooms() -> Rooms {
        Rooms::new(crate::serve::load_scenario(None).unwrap())
    }

    #[tokio::test]
    async fn the_page_names_its_room_and_loads_its_modules() {
        let app = app(rooms());
        let (status, headers, body) = get(app.clone(), "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        assert!(body.contains(r#"data-room="demo""#), "{body}");
        assert!(body.contains("/static/js/main.js"));
        let (status, _, body) = get(app.clone(), "/r/class-2").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(r#"data-room="class-2""#));
        let (status, headers, _) = get(app.clone(), "/static/js/main.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/javascript");
        let (status, _, body) = get(app.clone(), "/static/scenarios/demo.scenario").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("brokers 3"));
        assert_eq!(get(app.clone(), "/healthz").await.2, "ok");
    }

    #[tokio::test]
    async fn bad_paths_and_room_names_are_refused() {
        let app = app(rooms());
        assert_eq!(
            get(app.clone(), "/static/nope.js").await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(app.clone(), "/static/../Cargo.toml").await.0,
            StatusCode::NOT_FOUND
        );
        let (status, _, body) = get(app.clone(), "/r/%3Cscript%3E").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(!body.contains("<script>"));
        assert_eq!(
            get(app.clone(), &format!("/r/{}", "a".repeat(40))).await.0,
            StatusCode::BAD_REQUEST
        );
    }
}
