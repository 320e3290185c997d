//! `playground serve`: bind, print the URL, serve until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::room::Scenario;

use crate::assets;
use crate::rooms::Rooms;

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

/// Serves on `port` (0: any free port) until Ctrl-C. `share` listens on every interface, so a
/// classroom can connect; by default only this machine can.
pub async fn serve(port: u16, share: bool, script: Scenario) -> std::io::Result<()> {
    let ip = if share {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, port)).await?;
    let bound = listener.local_addr()?;
    let rooms = Rooms::new(script);
    // The one line a teacher needs; tests read it to find the port.
    println!(
        "Kafka Playground: http://127.0.0.1:{}/ (Ctrl-C to stop)",
        bound.port()
    );
    if share {
        println!("Sharing on every network interface, port {}", bound.port());
    }
    serve_on(listener, rooms).await
}

/// Serves `rooms` on an already bound listener until Ctrl-C (tests bind port 0 themselves).
pub async fn serve_on(listener: tokio::net::TcpListener, rooms: Rooms) -> std::io::Result<()> {
    axum::serve(listener, crate::app(rooms))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
