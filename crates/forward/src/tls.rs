//! TLS client settings and connections, shared by syslog over TLS and https webhooks.
//!
//! rustls with the ring provider; trust is the configured CA file, or the system's store when
//! none is given; a client certificate is optional. The server name (SNI and the name the
//! certificate must carry) is the host of the configured address.

use std::io;
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// A TLS session over TCP.
pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// Why TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A CA certificate was refused.
    #[error("bad CA certificate: {0}")]
    BadRoot(rustls::Error),
    /// No CA to trust.
    #[error("no trusted CA certificates: set `ca_file` (the system store is empty)")]
    NoRoots,
    /// The client certificate or key was refused.
    #[error("bad client certificate or key: {0}")]
    BadClientCert(rustls::Error),
    /// The provider refused the protocol versions.
    #[error("TLS setup failed: {0}")]
    Setup(rustls::Error),
}

/// Client settings trusting `roots` (the system store when empty), with an optional client
/// certificate chain and key.
pub fn client_config(
    roots: Vec<CertificateDer<'static>>,
    client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let mut store = RootCertStore::empty();
    if roots.is_empty() {
        // Unparsable system certificates are skipped: one odd file must not disable TLS.
        let (_added, _skipped) =
            store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    } else {
        for root in roots {
            store.add(root).map_err(TlsError::BadRoot)?;
        }
    }
    if store.is_empty() {
        return Err(TlsError::NoRoots);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Setup)?
        .with_root_certificates(store);
    let config = match client {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(TlsError::BadClientCert)?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Run the TLS handshake with `host` over `tcp` (its timeouts bound the handshake).
pub fn connect(config: &Arc<ClientConfig>, host: &str, tcp: TcpStream) -> io::Result<TlsStream> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let conn = ClientConnection::new(Arc::clone(config), name).map_err(io::Error::other)?;
    let mut stream = StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

/// True when the server has closed `stream` (end of stream, close_notify or an error). The
/// socket is read without waiting; a syslog server sends nothing but session tickets, which
/// this processes, so a close behind them is still seen before the next write is lost.
pub fn peer_closed(stream: &mut TlsStream) -> bool {
    if stream.sock.set_nonblocking(true).is_err() {
        return true;
    }
    let closed = loop {
        match stream.conn.read_tls(&mut stream.sock) {
            Ok(0) => break true,
            Ok(_) => match stream.conn.process_new_packets() {
                Ok(state) if state.peer_has_closed() => break true,
                Ok(_) => {}
                Err(_) => break true,
            },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
            Err(_) => break true,
        }
    };
    closed || stream.sock.set_nonblocking(false).is_err()
}
