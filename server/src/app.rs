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
