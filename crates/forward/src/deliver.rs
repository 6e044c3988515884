//! Putting one message on the wire: the syslog transports. A sender keeps its connection
//! between messages and reconnects after a failure; retrying is the worker's business.

use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Address, Transport};
use crate::net;
use crate::syslog::octet_counted;
use crate::tls::{self, TlsStream};

/// The largest UDP payload over IPv4; a bigger frame cannot be a datagram.
pub const MAX_DATAGRAM: usize = 65_507;

/// What one attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver has it (for UDP: it left this host).
    Delivered,
    /// Worth another attempt (network error, server error, rate limit).
    Retry(String),
    /// Another attempt would fail the same way (refused by the receiver, too big).
    Fail(String),
}

/// A way to deliver messages to one destination.
pub trait Deliver: Send {
    /// Try once to deliver `message`.
    fn deliver(&mut self, message: &[u8]) -> Outcome;
}

enum Link {
    Udp(UdpSocket),
    Tcp(std::net::TcpStream),
    Tls(Box<TlsStream>),
}

/// Sends syslog frames over UDP, TCP or TLS.
pub struct SyslogSender {
    address: Address,
    transport: Transport,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
    link: Option<Link>,
}

impl SyslogSender {
    /// A sender that connects on first use.
    pub fn new(
        address: Address,
        transport: Transport,
        tls: Option<Arc<rustls::ClientConfig>>,
        timeout: Duration,
    ) -> SyslogSender {
        SyslogSender {
            address,
            transport,
            tls,
            timeout,
            link: None,
        }
    }

    fn open(&self) -> io::Result<Link> {
        match self.transport {
            Transport::Udp => {
                let target = self.resolve()?;
                let local: SocketAddr = if target.is_ipv4() {
                    ([0, 0, 0, 0], 0).into()
                } else {
                    (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                };
                let socket = UdpSocket::bind(local)?;
                socket.connect(target)?;
                socket.set_write_timeout(Some(self.timeout))?;
                Ok(Link::Udp(socket))
            }
            Transport::Tcp => net::connect(&self.address, self.timeout).map(Link::Tcp),
            Transport::Tls => {
                let config = self
                    .tls
                    .as_ref()
                    .ok_or_else(|| io::Error::other("no TLS settings"))?;
                let tcp = net::connect(&self.address, self.timeout)?;
                tls::connect(config, &self.address.host, tcp).map(|s| Link::Tls(Box::new(s)))
            }
        }
    }

    fn resolve(&self) -> io::Result<SocketAddr> {
        (self.address.host.as_str(), self.address.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, "the address resolves to nothing")
            })
    }

    fn write(&mut self, frame: &[u8]) -> io::Result<()> {
        let stale = match &mut self.link {
            Some(Link::Tcp(s)) => net::peer_closed(s),
            Some(Link::Tls(s)) => tls::peer_closed(s),
            _ => false,
        };
        if stale || self.link.is_none() {
            self.link = Some(self.open()?);
        }
        match &mut self.link {
            Some(Link::Udp(s)) => s.send(frame).map(|_| ()),
            Some(Link::Tcp(s)) => s.write_all(&octet_counted(frame)),
            Some(Link::Tls(s)) => {
                s.write_all(&octet_counted(frame))?;
                s.flush()
            }
            None => Err(io::Error::other("not connected")),
        }
    }
}

impl Deliver for SyslogSender {
    fn deliver(&mut self, frame: &[u8]) -> Outcome {
        if self.transport == Transport::Udp && frame.len() > MAX_DATAGRAM {
            return Outcome::Fail(format!(
                "a {} byte message does not fit a UDP datagram; use transport = \"tcp\"",
                frame.len()
            ));
        }
        match self.write(frame) {
            Ok(()) => Outcome::Delivered,
            Err(e) => {
                // The next attempt starts on a fresh connection.
                self.link = None;
                Outcome::Retry(e.to_string())
            }
        }
    }
}
