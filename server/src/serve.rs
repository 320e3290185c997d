//! `playground serve`: bind, print the URL, serve until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use std::path::PathBuf;

use crate::access::Access;
use crate::app::AppState;
use crate::assets;
use crate::room::Scenario;
use crate::rooms::{Rooms, RoomsOptions};
use crate::saved::DataDir;

/// The port `playground` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7878;

/// The default room's scenario: the bundled demo, or a file given with `--scenario`.
pub fn load_scenario(file: Option<&std::path::Path>) -> Result<Scenario, String> {
    let (name, text) = match file {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        ),
        None => (
            assets::DEMO_SCENARIO.to_string(),
            assets::text(assets::DEMO_SCENARIO).ok_or("the demo scenario is not bundled")?,
        ),
    };
    Scenario::parse(&name, &text).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// How `playground serve` was asked to run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// 0: any free port.
    pub port: u16,
    /// Listen on every interface, with a presenter token (a classroom).
    pub share: bool,
    /// Where rooms are saved; `None`: nothing is saved.
    pub data_dir: Option<PathBuf>,
    /// The default room plays the given scenario afresh rather than its saved session.
    pub fresh_default: bool,
    pub connections_per_address: usize,
    /// Broker 1's Kafka port (0: free ports); `None`: no Kafka listeners (`--no-kafka`).
    pub kafka_port: Option<u16>,
    /// Benchmark only: the listeners acknowledge Produce without simulating.
    pub kafka_ack_only: bool,
}

/// Serves until Ctrl-C. Prints the page's URL first (tests read the port from that line), then,
/// with `share`, the students' URL and the presenter's (with its secret).
pub async fn serve(options: ServeOptions, script: Scenario) -> std::io::Result<()> {
    let ip = if options.share {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, options.port)).await?;
    let port = listener.local_addr()?.port();
    let access = if options.share {
        Access::shared()
    } else {
        Access::local()
    }
    .with_connections_per_address(options.connections_per_address);
    let data = match &options.data_dir {
        Some(dir) => match DataDir::open(dir) {
            Ok(data) => Some(data),
            Err(e) => {
                eprintln!(
                    "playground: cannot use {} to save rooms ({e}); nothing will be saved",
                    dir.display()
                );
                None
            }
        },
        None => None,
    };
    let (rooms, problems) = Rooms::with(
        script,
        RoomsOptions {
            data: data.clone(),
            access: access.clone(),
            fresh_default: options.fresh_default,
            ..RoomsOptions::default()
        },
    );
    for problem in problems {
        eprintln!("playground: skipping a saved room: {problem}");
    }
    let kafka = match options.kafka_port {
        Some(kafka_port) => {
            let options = crate::kafka::KafkaOptions {
                port: kafka_port,
                share: options.share,
                ack_only: options.kafka_ack_only,
            };
            match crate::kafka::start(rooms.clone(), options).await {
                Ok(started) => Some(started),
                // The page works without the listeners: say why they are off and go on.
                Err(why) => {
                    eprintln!("playground: no Kafka listeners: {why}");
                    None
                }
            }
        }
        None => None,
    };
    // The one line a teacher needs; tests read it to find the port.
    println!("Kafka Playground: http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    // Where Kafka clients bootstrap (tests read the port from this line).
    if let Some(kafka) = &kafka {
        println!("Kafka bootstrap: {}:{}", kafka.host, kafka.port);
    }
    let class_url = if let Some(token) = access.token() {
        let host = local_ip_address::local_ip()
            .map(|ip| ip.to_string())
            .unwrap_or_else(|_| "THIS-COMPUTER'S-ADDRESS".to_string());
        let class_url = format!("http://{host}:{port}/");
        println!("Students open:  {class_url}");
        println!("Presenter (keep this link private): http://{host}:{port}/?token={token}");
        Some(class_url)
    } else {
        None
    };
    if let Some(data) = &data {
        println!("Rooms are saved in {}", data.path().display());
    }
    serve_on_with(listener, AppState { rooms, class_url }).await
}

/// Serves `rooms` on an already bound listener until Ctrl-C (tests bind port 0 themselves).
pub async fn serve_on(listener: tokio::net::TcpListener, rooms: Rooms) -> std::io::Result<()> {
    serve_on_with(
        listener,
        AppState {
            rooms,
            class_url: None,
        },
    )
    .await
}

pub async fn serve_on_with(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let app = crate::app::app_with(state).into_make_service_with_connect_info::<SocketAddr>();
    // Frames and replies are small messages: send each at once, not after the peer's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
