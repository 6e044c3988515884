//! Where an event came from: the flow or frame whose packet carried it.

use std::net::IpAddr;

use crate::{Mac, Subject};

/// The addressing of the flow an event came from, copied out of the flow table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowContext {
    /// The flow's id.
    pub id: u64,
    /// Transport name (`tcp`, `udp`).
    pub transport: &'static str,
    /// The application protocol, once detected.
    pub app: Option<&'static str>,
    /// Client address and port.
    pub client: (IpAddr, u16),
    /// Server address and port.
    pub server: (IpAddr, u16),
    /// Client MAC.
    pub client_mac: Option<Mac>,
    /// Server MAC.
    pub server_mac: Option<Mac>,
    /// VLAN id.
    pub vlan: u16,
}

/// The addressing of a link-layer frame an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameContext {
    /// Source MAC.
    pub src: Mac,
    /// Destination MAC.
    pub dst: Mac,
    /// VLAN id.
    pub vlan: u16,
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A flow.
    Flow(FlowContext),
    /// A link-layer frame.
    Frame(FrameContext),
    /// The capture itself (file errors, decode problems outside any flow).
    Capture,
}

/// Resolve who a subject is, given where the event came from.
pub fn subject_address(origin: &Origin, subject: Subject) -> (Option<IpAddr>, Option<Mac>) {
    match (subject, origin) {
        (Subject::Host { mac, ip }, _) => (ip, mac),
        (Subject::Client, Origin::Flow(c)) => (Some(c.client.0), c.client_mac),
        (Subject::Server, Origin::Flow(c)) => (Some(c.server.0), c.server_mac),
        (Subject::Client, Origin::Frame(f)) => (None, Some(f.src)),
        (Subject::Server, Origin::Frame(f)) => (None, Some(f.dst)),
        (_, Origin::Capture) => (None, None),
    }
}
