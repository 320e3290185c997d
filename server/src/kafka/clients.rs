//! Who is connected to a room's brokers: the open connections, and the programs behind them.
//!
//! One Kafka client program opens several connections: kafka-python bootstraps on one, then
//! opens one to each broker it sends to or fetches from (a consumer one more to its group
//! coordinator), as every Kafka client does. A teacher asks "how many programs are
//! connected", so the presenter panel counts distinct `client.id`s, the name every request
//! header carries (Kafka's brokers key their quotas and request logs by it too), per host the
//! connections come from: a class's programs often keep their library's default `client.id`
//! (`rdkafka`, `kafkajs`, kafka-python's `kafka-python-producer-1`), and thirty students'
//! laptops are thirty programs, not one. (Two programs with one `client.id` on one computer
//! still count as one: nothing a broker sees tells them apart.) The wall-clock rule
//! (`room/real_time.rs`) still counts connections: any open one keeps the room at 1×.
//!
//! A connection counts under the `client.id` of its first request. Until it has sent one it
//! counts as a program of its own (so "a client is connecting" shows), and so does a
//! connection whose `client.id` is null or empty (legal in Kafka: two such programs cannot be
//! told apart). The map holds an entry only while a connection under that id is open: it is
//! bounded by the listeners' connection limit (`MAX_CONNECTIONS`), and ids are cut to
//! [`NAME_CHARS`] characters, as the page names a client's cards.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The characters of a `client.id` kept (the page's producer and member cards cut it there too).
pub const NAME_CHARS: usize = 64;

/// The open Kafka connections to one room's brokers and their `client.id`s. Shared between the
/// room (which reads it every tick) and the listeners' connections (which open and close it).
#[derive(Debug, Default)]
pub struct KafkaClients {
    /// Connections open now. Read without the lock on every tick (the wall-clock rule); changed
    /// under it when a connection closes, so that under the lock it is never below the named
    /// connections' total.
    open: AtomicUsize,
    named: Mutex<Named>,
}

/// The connections that have said their `client.id`.
#[derive(Debug, Default)]
struct Named {
    /// Open connections per `client.id` and host (ordered: the page lists the names
    /// alphabetically).
    by_id: BTreeMap<(String, String), usize>,
    /// The sum of `by_id`'s counts.
    connections: usize,
}

/// What the presenter panel shows: distinct programs, open connections, a few names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Programs {
    /// Distinct `client.id`s per host, plus one for each connection without one (yet).
    pub programs: usize,
    pub connections: usize,
    /// The first programs' `client.id`s in alphabetical order, at most as many as asked for:
    /// a name appears once per host that runs a program under it (the page writes "rdkafka
    /// ×2").
    pub names: Vec<String>,
}

impl KafkaClients {
    /// A connection opened from `host` (the peer's address, without its port): counted until
    /// the returned guard is dropped.
    pub fn connected(self: &Arc<Self>, host: &str) -> ClientConnection {
        self.open.fetch_add(1, Ordering::Relaxed);
        ClientConnection {
            clients: self.clone(),
            identified: false,
            host: host.to_owned(),
            name: None,
        }
    }

    /// Connections open now: while any is, the room keeps to the wall clock.
    pub fn connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Distinct programs and open connections, with the first `names` `client.id`s.
    pub fn programs(&self, names: usize) -> Programs {
        let named = self.named.lock().expect("kafka clients lock");
        let connections = self.open.load(Ordering::Relaxed);
        // Every connection not under a name is a program of its own.
        let unnamed = connections.saturating_sub(named.connections);
        Programs {
            programs: named.by_id.len() + unnamed,
            connections,
            names: named
                .by_id
                .keys()
                .take(names)
                .map(|(id, _)| id.clone())
                .collect(),
        }
    }
}

/// One open connection, counted while it lives; [`ClientConnection::identify`] puts it under
/// its `client.id`.
#[derive(Debug)]
pub struct ClientConnection {
    clients: Arc<KafkaClients>,
    /// It has sent its first request: later requests do not move it.
    identified: bool,
    /// Where it comes from: one program's connections all come from one host.
    host: String,
    /// The `client.id` and host it counts under (`None`: null or empty, or no request yet).
    name: Option<(String, String)>,
}

impl ClientConnection {
    /// The connection's request carried `client_id`: the first request's names the connection
    /// (a client keeps one `client.id` for all its connections and requests).
    pub fn identify(&mut self, client_id: Option<&str>) {
        if self.identified {
            return;
        }
        self.identified = true;
        let Some(id) = client_id.filter(|id| !id.is_empty()) else {
            return;
        };
        let name = (id.chars().take(NAME_CHARS).collect(), self.host.clone());
        let mut named = self.clients.named.lock().expect("kafka clients lock");
        *named.by_id.entry(name.clone()).or_default() += 1;
        named.connections += 1;
        self.name = Some(name);
    }
}

impl Drop for ClientConnection {
    fn drop(&mut self) {
        let mut named = self.clients.named.lock().expect("kafka clients lock");
        if let Some(name) = self.name.take() {
            if let Some(count) = named.by_id.get_mut(&name) {
                *count -= 1;
                if *count == 0 {
                    named.by_id.remove(&name);
                }
            }
            named.connections -= 1;
        }
        self.clients.open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs(clients: &KafkaClients) -> (usize, usize, Vec<String>) {
        let p = clients.programs(4);
        (p.programs, p.connections, p.names)
    }

    #[test]
    fn connections_of_one_client_id_are_one_program() {
        let clients = Arc::new(KafkaClients::default());
        // kafka-python: the bootstrap connection, then one to each broker it sends to.
        let mut ada: Vec<_> = (0..3).map(|_| clients.connected("10.0.0.1")).collect();
        assert_eq!(programs(&clients), (3, 3, vec![]), "nothing sent yet");
        for c in &mut ada {
            c.identify(Some("ada"));
        }
        assert_eq!(programs(&clients), (1, 3, vec!["ada".to_string()]));
        // A later request with another id does not move a connection.
        ada[0].identify(Some("eve"));
        assert_eq!(programs(&clients), (1, 3, vec!["ada".to_string()]));

        let mut bob = clients.connected("10.0.0.1");
        bob.identify(Some("bob-reader"));
        assert_eq!(
            programs(&clients),
            (2, 4, vec!["ada".to_string(), "bob-reader".to_string()])
        );
        ada.truncate(1);
        assert_eq!(programs(&clients).0, 2, "ada still has a connection");
        ada.clear();
        assert_eq!(programs(&clients), (1, 1, vec!["bob-reader".to_string()]));
        drop(bob);
        assert_eq!(programs(&clients), (0, 0, vec![]));
        assert!(
            clients.named.lock().unwrap().by_id.is_empty(),
            "the map shrinks"
        );
    }

    #[test]
    fn one_client_id_from_two_hosts_is_two_programs() {
        let clients = Arc::new(KafkaClients::default());
        // Two students' laptops, both running librdkafka with its default client.id, each with
        // a bootstrap connection and one to a broker.
        let mut held = Vec::new();
        for host in ["10.0.0.7", "10.0.0.7", "10.0.0.9", "10.0.0.9"] {
            let mut c = clients.connected(host);
            c.identify(Some("rdkafka"));
            held.push(c);
        }
        assert_eq!(
            programs(&clients),
            (2, 4, vec!["rdkafka".to_string(), "rdkafka".to_string()])
        );
        held.truncate(3);
        assert_eq!(programs(&clients).0, 2, "10.0.0.9 still has a connection");
        held.truncate(2);
        assert_eq!(programs(&clients), (1, 2, vec!["rdkafka".to_string()]));
    }

    #[test]
    fn null_and_empty_client_ids_count_one_program_each() {
        let clients = Arc::new(KafkaClients::default());
        let mut a = clients.connected("10.0.0.1");
        a.identify(None);
        let mut b = clients.connected("10.0.0.1");
        b.identify(Some(""));
        let mut c = clients.connected("10.0.0.1");
        c.identify(Some("ada"));
        let _connecting = clients.connected("10.0.0.1");
        assert_eq!(programs(&clients), (4, 4, vec!["ada".to_string()]));
        drop(a);
        assert_eq!(programs(&clients), (3, 3, vec!["ada".to_string()]));
    }

    #[test]
    fn names_are_cut_and_listed_alphabetically_up_to_the_limit() {
        let clients = Arc::new(KafkaClients::default());
        let long = "x".repeat(1000);
        let mut held = Vec::new();
        for id in ["zoe", "ada", long.as_str(), "bob", "cy", "dan"] {
            let mut c = clients.connected("10.0.0.1");
            c.identify(Some(id));
            held.push(c);
        }
        let p = clients.programs(4);
        assert_eq!((p.programs, p.connections), (6, 6));
        assert_eq!(p.names, ["ada", "bob", "cy", "dan"]);
        let all = clients.programs(10).names;
        assert_eq!(all.len(), 6);
        assert_eq!(
            all[4],
            "x".repeat(NAME_CHARS),
            "cut to {NAME_CHARS} characters"
        );
    }
}
