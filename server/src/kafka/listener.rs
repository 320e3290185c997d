//! One listener per simulated broker, opened and closed as the room's brokers live and die.
//!
//! A supervisor asks the default room for its brokers every [`POLL`]: a broker whose process
//! runs has a listening port (broker N on `--kafka-port` + N − 1, or a free port chosen once
//! and kept); a killed one has none, so connecting is refused, and its connections are dropped
//! (its accept task, which owns them, is aborted); a restarted one listens again on the same
//! port; brokers a new scenario adds get listeners, brokers it removes lose theirs. Isolation
//! reaches the connections through a `watch` of the broker's life (they stop answering).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::Shared;
use super::connection;
use super::view::{BrokerLife, KafkaAsk};

/// How often the supervisor looks at the room's brokers.
pub const POLL: Duration = Duration::from_millis(100);
/// Failed binds in a row before a broker's port problem is reported (one second).
const REPORT_AFTER: u32 = 10;

struct BrokerListener {
    port: u16,
    life: watch::Sender<BrokerLife>,
    accepting: Option<JoinHandle<()>>,
}

pub struct Listeners {
    shared: Arc<Shared>,
    ip: IpAddr,
    base_port: u16,
    brokers: BTreeMap<u32, BrokerListener>,
}

/// The port broker `id` asks for: `base + id - 1`, or 0 (any free port) when `base` is 0.
fn wanted_port(base: u16, id: u32, known: Option<u16>) -> Result<u16, String> {
    if let Some(port) = known {
        return Ok(port);
    }
    if base == 0 {
        return Ok(0);
    }
    u16::try_from(u32::from(base) + id - 1).map_err(|_| {
        format!(
            "broker {id} would need port {}, beyond 65535",
            u32::from(base) + id - 1
        )
    })
}

fn bind(ip: IpAddr, port: u16) -> std::io::Result<TcpListener> {
    let std = std::net::TcpListener::bind(SocketAddr::new(ip, port))?;
    std.set_nonblocking(true)?;
    TcpListener::from_std(std)
}

impl Listeners {
    pub fn new(shared: Arc<Shared>, ip: IpAddr, base_port: u16) -> Listeners {
        Listeners {
            shared,
            ip,
            base_port,
            brokers: BTreeMap::new(),
        }
    }

    /// The port broker `id` listens on (or listened on, while it is down).
    pub fn port(&self, id: u32) -> Option<u16> {
        self.brokers.get(&id).map(|b| b.port)
    }

    /// Brings the listeners in line with `lives`. With `bind_all`, dead brokers are bound too
    /// (then closed), so that each has its port from the start. Returns the brokers whose port
    /// could not be bound, with why.
    pub fn apply(&mut self, lives: &[BrokerLife], bind_all: bool) -> Vec<(u32, u16, String)> {
        let mut failures = Vec::new();
        for life in lives {
            let known = self.brokers.get(&life.id).map(|b| b.port);
            let listening = self
                .brokers
                .get(&life.id)
                .is_some_and(|b| b.accepting.is_some());
            if (life.alive || bind_all) && !listening {
                let port = match wanted_port(self.base_port, life.id, known) {
                    Ok(port) => port,
                    Err(e) => {
                        failures.push((life.id, 0, e));
                        continue;
                    }
                };
                match bind(self.ip, port) {
                    Ok(listener) => {
                        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
                        let entry = self
                            .brokers
                            .entry(life.id)
                            .or_insert_with(|| BrokerListener {
                                port,
                                life: watch::channel(*life).0,
                                accepting: None,
                            });
                        entry.port = port;
                        let rx = entry.life.subscribe();
                        entry.accepting =
                            Some(tokio::spawn(accept(listener, self.shared.clone(), rx)));
                    }
                    Err(e) => failures.push((life.id, port, e.to_string())),
                }
            }
            if let Some(b) = self.brokers.get_mut(&life.id) {
                if !life.alive
                    && let Some(task) = b.accepting.take()
                {
                    task.abort();
                }
                b.life.send_if_modified(|old| {
                    let changed = *old != *life;
                    *old = *life;
                    changed
                });
            }
        }
        let gone: Vec<u32> = self
            .brokers
            .keys()
            .copied()
            .filter(|id| !lives.iter().any(|l| l.id == *id))
            .collect();
        for id in gone {
            if let Some(task) = self.brokers.remove(&id).and_then(|b| b.accepting) {
                task.abort();
            }
        }
        self.shared
            .set_ports(self.brokers.iter().map(|(&id, b)| (id, b.port)).collect());
        failures
    }

    /// Watches the room until the process ends.
    pub async fn supervise(mut self) {
        let mut ticks = tokio::time::interval(POLL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Ticks each broker has failed to bind in a row: a port just closed by a kill may take
        // a moment to be free again, so only a failure that lasts [`REPORT_AFTER`] is said.
        let mut failing: BTreeMap<u32, u32> = BTreeMap::new();
        loop {
            ticks.tick().await;
            let Some(lives) = self.shared.brokers_if_running().await else {
                continue;
            };
            let failures = self.apply(&lives, false);
            failing.retain(|id, _| failures.iter().any(|f| f.0 == *id));
            for (id, port, why) in failures {
                let count = failing.entry(id).or_default();
                *count += 1;
                if *count == REPORT_AFTER {
                    eprintln!(
                        "playground: broker {id} cannot listen for Kafka clients on port {port}: {why}"
                    );
                }
            }
        }
    }
}

impl Drop for Listeners {
    /// Listeners given up on (a port that could not be bound at start) close their ports.
    fn drop(&mut self) {
        for b in self.brokers.values_mut() {
            if let Some(task) = b.accepting.take() {
                task.abort();
            }
        }
    }
}

/// Accepts connections for one broker; aborting this task closes its port and drops every
/// connection it accepted (the `JoinSet` aborts them).
async fn accept(listener: TcpListener, shared: Arc<Shared>, life: watch::Receiver<BrokerLife>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                // Over the bound the connection is closed at once (dropped).
                let Ok(permit) = shared.connections.clone().try_acquire_owned() else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (shared, life) = (shared.clone(), life.clone());
                connections.spawn(async move {
                    connection::serve(stream, shared, life).await;
                    drop(permit);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Asks the room for its brokers once it answers (it starts in the background); `None` if it
/// never did within `patience`.
pub async fn first_brokers(shared: &Shared, patience: Duration) -> Option<Vec<BrokerLife>> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Some(lives) = shared
            .ask(KafkaAsk::Brokers { bootstrap: None })
            .await
            .map(|v| v.brokers)
        {
            return Some(lives);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
