//! Who may do what: the presenter's secret, the page's own Origin, and connections per address.
//!
//! On this machine alone (`playground serve`), everyone who can reach the page is the teacher: every
//! connection controls every room, as before. With `--share` the server makes a secret token and
//! prints a presenter URL carrying it; only a connection that presents it may change the
//! presenter's rooms. Everyone else follows them read-only and may fork a sandbox of their own.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq;

/// WebSocket connections one address may hold at once (a student's laptop opens one per tab).
/// Loopback is counted too: a test or a benchmark sets its own limit.
pub const DEFAULT_CONNECTIONS_PER_ADDRESS: usize = 32;

/// What a connection may do in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Changes the presenter's rooms (the teacher; everyone when nothing is shared).
    Presenter,
    /// Follows the presenter's rooms read-only; controls its own sandboxes.
    Viewer,
}

/// Who owns a room: whose requests may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    /// The presenter's room: viewers follow it read-only.
    Presenter,
    /// A sandbox forked by a viewer: whoever is in it plays with it.
    Open,
}

impl Owner {
    pub fn allows(self, role: Role) -> bool {
        self == Owner::Open || role == Role::Presenter
    }
}

/// The server's access rules, shared by every handler.
#[derive(Clone)]
pub struct Access {
    /// The presenter's secret (`--share` only): 128 random bits as hex.
    token: Option<Arc<str>>,
    per_address: usize,
    open: Arc<Mutex<BTreeMap<IpAddr, usize>>>,
}

impl Access {
    /// Every connection is the presenter (this machine only).
    pub fn local() -> Access {
        Access {
            token: None,
            per_address: DEFAULT_CONNECTIONS_PER_ADDRESS,
            open: Arc::default(),
        }
    }

    /// A shared classroom: a fresh random presenter token.
    pub fn shared() -> Access {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random source works");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Access::with_token(&token)
    }

    pub fn with_token(token: &str) -> Access {
        Access {
            token: Some(Arc::from(token)),
            ..Access::local()
        }
    }

    pub fn with_connections_per_address(mut self, n: usize) -> Access {
        self.per_address = n;
        self
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn is_shared(&self) -> bool {
        self.token.is_some()
    }

    /// The role of a request that presented `token` (or none). Compared in constant time, so the
    /// secret cannot be guessed byte by byte from response times.
    pub fn role(&self, token: Option<&str>) -> Role {
        match (&self.token, token) {
            (None, _) => Role::Presenter,
            (Some(secret), Some(given))
                if bool::from(secret.as_bytes().ct_eq(given.as_bytes())) =>
            {
                Role::Presenter
            }
            _ => Role::Viewer,
        }
    }

    /// Takes one of `peer`'s connection slots for as long as the guard lives, or `None` when
    /// it holds them all. Unknown peers (tests calling the router directly) are not counted.
    pub fn connect(&self, peer: Option<SocketAddr>) -> Option<ConnectionGuard> {
        let Some(peer) = peer else {
            return Some(ConnectionGuard {
                ip: None,
                open: self.open.clone(),
            });
        };
        let mut open = self.open.lock().expect("connections lock");
        let count = open.entry(peer.ip()).or_default();
        if *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(ConnectionGuard {
            ip: Some(peer.ip()),
            open: self.open.clone(),
        })
    }

    pub fn connections_per_address(&self) -> usize {
        self.per_address
    }
}

/// One open connection; dropping it frees the slot.
pub struct ConnectionGuard {
    ip: Option<IpAddr>,
    open: Arc<Mutex<BTreeMap<IpAddr, usize>>>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut open = self.open.lock().expect("connections lock");
        if let Some(count) = open.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&ip);
            }
        }
    }
}

/// Whether a request comes from the page this server serves. Browsers send `Origin` with every
/// WebSocket handshake and every POST, so a page on another site that tries to open our socket
/// (and read the class's state, or kill a broker) is refused here. Requests without an Origin
/// are not from a browser page (a test, `curl`): nothing a foreign site can make a browser do.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (
        origin.to_str(),
        headers.get(header::HOST).map(|h| h.to_str()),
    ) else {
        return false;
    };
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn only_the_pages_own_origin_passes() {
        assert!(same_origin(&headers(
            Some("http://127.0.0.1:7878"),
            "127.0.0.1:7878"
        )));
        assert!(same_origin(&headers(None, "127.0.0.1:7878")));
        assert!(!same_origin(&headers(
            Some("http://evil.example"),
            "127.0.0.1:7878"
        )));
        assert!(!same_origin(&headers(
            Some("http://127.0.0.1:9999"),
            "127.0.0.1:7878"
        )));
        assert!(!same_origin(&headers(Some("null"), "127.0.0.1:7878")));
    }

    #[test]
    fn the_token_makes_the_presenter() {
        let local = Access::local();
        assert_eq!(local.role(None), Role::Presenter);
        let shared = Access::with_token("s3cret");
        assert_eq!(shared.role(Some("s3cret")), Role::Presenter);
        assert_eq!(shared.role(Some("s3cre")), Role::Viewer);
        assert_eq!(shared.role(None), Role::Viewer);
        assert_eq!(Access::shared().token().unwrap().len(), 32);
    }

    #[test]
    fn connections_per_address_are_limited_and_freed() {
        let access = Access::local().with_connections_per_address(2);
        let peer: SocketAddr = "10.0.0.7:5000".parse().unwrap();
        let a = access.connect(Some(peer)).unwrap();
        let _b = access.connect(Some(peer)).unwrap();
        assert!(access.connect(Some(peer)).is_none());
        drop(a);
        assert!(access.connect(Some(peer)).is_some());
    }
}
