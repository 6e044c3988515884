//! Link-layer header types, as the tcpdump.org LINKTYPE registry numbers them.
//!
//! An open newtype rather than an enum: a capture may carry any of some two hundred link
//! types, and the engine decides which it decodes; unknown ones are kept as numbers.

use std::fmt;

/// The link-layer header type of a capture interface (a LINKTYPE_ value).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II / IEEE 802.3.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (DLT_RAW as numbered on some BSDs).
    pub const RAW_ALT12: LinkType = LinkType(12);
    /// Raw IP (DLT_RAW as numbered on OpenBSD).
    pub const RAW_ALT14: LinkType = LinkType(14);
    /// Raw IPv4 or IPv6, told apart by the version nibble.
    pub const RAW: LinkType = LinkType(101);
    /// IEEE 802.11 wireless, without radio header.
    pub const IEEE802_11: LinkType = LinkType(105);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture, version 2.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// Name the link type after the LINKTYPE registry, or `"unknown"`.
    pub fn name(self) -> &'static str {
        match self {
            LinkType::NULL => "null",
            LinkType::ETHERNET => "ethernet",
            LinkType::RAW | LinkType::RAW_ALT12 | LinkType::RAW_ALT14 => "raw",
            LinkType::IEEE802_11 => "ieee802_11",
            LinkType::LOOP => "loop",
            LinkType::LINUX_SLL => "linux_sll",
            LinkType::IPV4 => "ipv4",
            LinkType::IPV6 => "ipv6",
            LinkType::LINUX_SLL2 => "linux_sll2",
            _ => "unknown",
        }
    }
}

impl fmt::Display for LinkType {
    /// Write the name and the number (`ethernet (1)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_three_raw_ip_numbers_alike() {
        assert_eq!(LinkType::RAW.name(), "raw");
        assert_eq!(LinkType::RAW_ALT12.name(), "raw");
        assert_eq!(LinkType::RAW_ALT14.name(), "raw");
    }

    #[test]
    fn keeps_unknown_link_type_number() {
        assert_eq!(LinkType(147).to_string(), "unknown (147)");
        assert_eq!(LinkType::ETHERNET.to_string(), "ethernet (1)");
    }
}
