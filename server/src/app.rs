//! The HTTP side: the page, its static files and the WebSocket, as one axum `Router`.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /` | the page, showing the `demo` room |
//! | `GET /r/{room}` | the page for another room; 404 with a "create it" form if there is none |
//! | `POST /api/rooms` | create a room (form field `name`; with `--share`, also `token`) |
//! | `GET /static/{*path}` | ES modules, CSS, bundled scenarios (embedded) |
//! | `GET /ws/{room}` | the WebSocket (protocol in [`crate::wire`]); `?token=` makes the presenter |
//! | `GET /class.svg` | a QR code of the students' URL (with `--share`) |
//! | `GET /healthz` | `ok` |
//!
//! Requests that change something (the WebSocket, `POST`) must come from this server's own page:
//! a browser's `Origin` naming another site is refused with 403.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::access::{Role, same_origin};
use crate::assets;
use crate::rooms::{DEFAULT_ROOM, RoomError, Rooms};
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
    /// The URL students open (with `--share`), shown to the presenter with its QR code.
    class_url: &'a str,
}

#[derive(Template)]
#[template(path = "missing.html")]
struct MissingPage<'a> {
    room: &'a str,
    token: &'a str,
    message: &'a str,
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub rooms: Rooms,
    /// The students' URL when the server is shared with a classroom.
    pub class_url: Option<String>,
}

pub fn app(rooms: Rooms) -> Router {
    app_with(AppState {
        rooms,
        class_url: None,
    })
}

pub fn app_with(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/r/{room}", get(room_page))
        .route("/api/rooms", post(create_room))
        .route("/static/{*path}", get(static_file))
        .route("/ws/{room}", get(websocket))
        .route("/class.svg", get(class_qr))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

fn render(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn page(state: &AppState, room: &str) -> Response {
    let page = IndexPage {
        room,
        title: state.rooms.title().unwrap_or("Kafka Playground"),
        version: env!("CARGO_PKG_VERSION"),
        class_url: state.class_url.as_deref().unwrap_or(""),
    };
    render(&page, StatusCode::OK)
}

async fn index(State(state): State<AppState>) -> Response {
    page(&state, DEFAULT_ROOM)
}

#[derive(serde::Deserialize, Default)]
struct TokenQuery {
    #[serde(default)]
    token: Option<String>,
}

/// Showing a page never creates a room: an unknown room gets a page that offers to create it.
async fn room_page(
    State(state): State<AppState>,
    Path(room): Path<String>,
    Query(query): Query<TokenQuery>,
) -> Response {
    if !Rooms::valid_name(&room) {
        return (StatusCode::BAD_REQUEST, RoomError::BadName.to_string()).into_response();
    }
    if state.rooms.exists(&room) {
        return page(&state, &room);
    }
    let missing = MissingPage {
        room: &room,
        token: query.token.as_deref().unwrap_or(""),
        message: "",
    };
    render(&missing, StatusCode::NOT_FOUND)
}

#[derive(serde::Deserialize)]
struct CreateRoom {
    name: String,
    #[serde(default)]
    token: Option<String>,
}

/// Creating a room is an explicit act: a POST from this server's page (or a tool), by the
/// presenter when the server is shared. Answers with the room's page.
async fn create_room(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CreateRoom>,
) -> Response {
    if !same_origin(&headers) {
        return (
            StatusCode::FORBIDDEN,
            "requests from another site are refused",
        )
            .into_response();
    }
    let token = form.token.as_deref().filter(|t| !t.is_empty());
    if state.rooms.access().role(token) != Role::Presenter {
        let missing = MissingPage {
            room: &form.name,
            token: "",
            message: "Only the presenter creates rooms here. Open the presenter's room and press Fork for a sandbox of your own.",
        };
        return render(&missing, StatusCode::FORBIDDEN);
    }
    match state.rooms.create(&form.name) {
        Ok(room) => {
            let url = match token {
                Some(t) => format!("/r/{}?token={t}", room.name),
                None => format!("/r/{}", room.name),
            };
            Redirect::to(&url).into_response()
        }
        Err(e @ RoomError::Exists(_)) => (StatusCode::CONFLICT, e.to_string()).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn static_file(Path(path): Path<String>) -> Response {
    assets::serve(&path)
}

/// The peer's address when the server was started with connect info (tests calling the router
/// directly have none).
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

async fn websocket(
    State(state): State<AppState>,
    Path(room): Path<String>,
    Query(query): Query<TokenQuery>,
    Peer(peer): Peer,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return (
            StatusCode::FORBIDDEN,
            "this socket serves only this server's own page",
        )
            .into_response();
    }
    let access = state.rooms.access().clone();
    let Some(slot) = access.connect(peer) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "at most {} connections from one address",
                access.connections_per_address()
            ),
        )
            .into_response();
    };
    let role = access.role(query.token.as_deref());
    match state.rooms.get(&room) {
        Ok(room) => {
            let rooms = state.rooms.clone();
            upgrade
                // Both limits are checked from a frame's header, before its payload is read: a
                // 16 MB frame costs nothing.
                .max_message_size(MAX_WS_MESSAGE_BYTES)
                .max_frame_size(MAX_WS_MESSAGE_BYTES)
                .on_upgrade(move |socket| async move {
                    serve_viewer(socket, room, role, rooms).await;
                    drop(slot);
                })
        }
        Err(e @ RoomError::Missing(_)) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

/// The students' URL as a QR code (SVG), for the presenter's screen.
async fn class_qr(State(state): State<AppState>) -> Response {
    let Some(url) = state.class_url.as_deref() else {
        return (StatusCode::NOT_FOUND, "this server is not shared (--share)").into_response();
    };
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(240, 240)
                .quiet_zone(true)
                .build();
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// A response's status, headers and body as text.
    async fn read(response: Response) -> (StatusCode, axum::http::HeaderMap, String) {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    async fn get(app: Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = app
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        read(response).await
    }

    async fn post(
        app: Router,
        uri: &str,
        form: &str,
        origin: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut request = Request::post(uri)
            .header(header::HOST, "127.0.0.1:7878")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        let response = app
            .oneshot(request.body(Body::from(form.to_string())).unwrap())
            .await
            .unwrap();
        read(response).await
    }

    #[tokio::test]
    async fn rooms_are_created_only_by_the_presenter_from_this_origin() {
        let (rooms, _) = Rooms::with(
            crate::serve::load_scenario(None).unwrap(),
            crate::rooms::RoomsOptions {
                access: crate::access::Access::with_token("t0ken"),
                ..Default::default()
            },
        );
        let app = app(rooms.clone());
        let (status, _, _) = post(
            app.clone(),
            "/api/rooms",
            "name=x1&token=t0ken",
            Some("http://evil.example"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, body) = post(app.clone(), "/api/rooms", "name=x1", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("Only the presenter"));
        let (status, headers, _) = post(
            app.clone(),
            "/api/rooms",
            "name=x1&token=t0ken",
            Some("http://127.0.0.1:7878"),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], "/r/x1?token=t0ken");
        assert_eq!(
            post(app.clone(), "/api/rooms", "name=x1&token=t0ken", None)
                .await
                .0,
            StatusCode::CONFLICT
        );
        assert_eq!(rooms.len(), 2);
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
        // Opening a room that does not exist does not create it: it offers a form.
        let (status, _, body) = get(app.clone(), "/r/class-2").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains(r#"action="/api/rooms""#), "{body}");
        let (status, _, _) = get(app.clone(), "/r/class-2").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, headers, _) = post(app.clone(), "/api/rooms", "name=class-2", None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], "/r/class-2");
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
