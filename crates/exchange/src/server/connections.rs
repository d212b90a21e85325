//! Connections: the accept loop with its caps on connections in all and per client address,
//! the TLS handshake, and serving HTTP/1 on each connection with header timeout and lifetime.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use super::Limits;

/// The client address, put on each request by the connection it came on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Peer(pub(super) IpAddr);

/// Connections open per client address.
struct PerAddress {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection of an address; dropping it frees the place.
struct AddressSlot {
    table: Arc<PerAddress>,
    key: IpAddr,
}

impl PerAddress {
    fn new(max: usize) -> PerAddress {
        PerAddress { max: max.max(1), open: Mutex::new(HashMap::new()) }
    }

    /// A place for one more connection from `ip`, unless it has `max` open already.
    fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let key = address_key(ip);
        let mut open = match self.open.lock() {
            Ok(o) => o,
            Err(poisoned) => poisoned.into_inner(),
        };
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressSlot { table: self.clone(), key })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = match self.table.open.lock() {
            Ok(o) => o,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// What counts as one client address: an IPv4 address (also when mapped into IPv6), or the
/// /64 prefix of an IPv6 address.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(std::net::Ipv6Addr::from(segments))
            }
        },
    }
}

pub(super) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = Arc::new(PerAddress::new(limits.max_connections_per_address));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        let Ok((stream, peer)) = accepted else {
            // Out of file descriptors or similar: pause instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // One address may not take every connection: refuse its excess before it counts
        // against the global cap.
        let Some(slot) = per_address.acquire(peer.ip()) else {
            drop(stream);
            continue;
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let limits = limits.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _slot = slot;
            match tls {
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream))
                            .await;
                    if let Ok(Ok(stream)) = handshake {
                        serve_connection(stream, peer, router, &limits, stop).await;
                    }
                }
                None => serve_connection(stream, peer, router, &limits, stop).await,
            }
        });
    }
    // Let open connections finish what they are doing, for a few seconds at most.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(5), connections.acquire_many(all)).await;
}

async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    router: Router,
    limits: &Limits,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(Peer(peer.ip()));
            let mut router = router.clone();
            async move {
                let response: Result<Response, Infallible> =
                    tower_service::Service::call(&mut router, request).await;
                response
            }
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_head_bytes.max(8192))
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = tokio::time::sleep(limits.connection_lifetime) => {}
        _ = stop.changed() => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(5), connection).await;
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn addresses_are_counted_per_ipv4_address_and_per_ipv6_64() {
        let v4 = IpAddr::from(Ipv4Addr::new(192, 0, 2, 7));
        assert_eq!(address_key(v4), v4);
        let mapped = IpAddr::from(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(address_key(mapped), v4);
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse::<Ipv6Addr>().unwrap().into();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse::<Ipv6Addr>().unwrap().into();
        let c: IpAddr = "2001:db8:1:3::1".parse::<Ipv6Addr>().unwrap().into();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
    }

    #[test]
    fn a_slot_is_freed_when_its_connection_ends() {
        let table = Arc::new(PerAddress::new(2));
        let ip = IpAddr::from(Ipv4Addr::LOCALHOST);
        let other = IpAddr::from(Ipv4Addr::new(127, 0, 0, 2));
        let first = table.acquire(ip).unwrap();
        let _second = table.acquire(ip).unwrap();
        assert!(table.acquire(ip).is_none(), "a third from one address");
        assert!(table.acquire(other).is_some(), "another address is not affected");
        drop(first);
        assert!(table.acquire(ip).is_some(), "the place is free again");
        assert!(table.open.lock().unwrap().get(&other).is_none(), "no entry is left behind");
    }
}
