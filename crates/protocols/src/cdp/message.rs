//! The CDP advertisement as typed values, and its code tables (as Wireshark's
//! `packet-cdp.c` documents them; Cisco publishes no specification).

use std::net::IpAddr;

/// TLV types.
pub mod tlv {
    /// Device ID: the host name.
    pub const DEVICE_ID: u16 = 0x0001;
    /// Addresses of the sending interface.
    pub const ADDRESSES: u16 = 0x0002;
    /// Port ID: the sending interface's name.
    pub const PORT_ID: u16 = 0x0003;
    /// Capabilities bit map.
    pub const CAPABILITIES: u16 = 0x0004;
    /// Software version text.
    pub const SOFTWARE_VERSION: u16 = 0x0005;
    /// Hardware platform.
    pub const PLATFORM: u16 = 0x0006;
    /// VTP management domain.
    pub const VTP_DOMAIN: u16 = 0x0009;
    /// Native VLAN of the port.
    pub const NATIVE_VLAN: u16 = 0x000a;
    /// Duplex of the port.
    pub const DUPLEX: u16 = 0x000b;
    /// Voice VLAN reply.
    pub const VOIP_VLAN_REPLY: u16 = 0x000e;
    /// System name.
    pub const SYSTEM_NAME: u16 = 0x0014;
    /// Management addresses.
    pub const MANAGEMENT_ADDRESSES: u16 = 0x0016;
    /// Physical location.
    pub const LOCATION: u16 = 0x0017;
}

/// Capability bits, lowest first; bits without an assigned meaning are named by number.
const CAPABILITY_NAMES: [&str; 32] = [
    "router",
    "trans_bridge",
    "source_route_bridge",
    "switch",
    "host",
    "igmp",
    "repeater",
    "phone",
    "remotely_managed",
    "cvta",
    "two_port_mac_relay",
    "bit11",
    "bit12",
    "bit13",
    "bit14",
    "bit15",
    "bit16",
    "bit17",
    "bit18",
    "bit19",
    "bit20",
    "bit21",
    "bit22",
    "bit23",
    "bit24",
    "bit25",
    "bit26",
    "bit27",
    "bit28",
    "bit29",
    "bit30",
    "bit31",
];

/// Capability bit: router.
pub const CAP_ROUTER: u32 = 0x01;
/// Capability bits: transparent or source-route bridge, or switch.
pub const CAP_BRIDGING: u32 = 0x02 | 0x04 | 0x08;
/// Capability bit: repeater.
pub const CAP_REPEATER: u32 = 0x40;
/// Capability bit: VoIP phone.
pub const CAP_PHONE: u32 = 0x80;

/// Name the capability bits set in `bits`.
pub fn capability_names(bits: u32) -> Vec<&'static str> {
    CAPABILITY_NAMES
        .iter()
        .enumerate()
        .filter(|&(i, _)| bits & (1 << i) != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// One address of an addresses or management addresses TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address<'a> {
    /// IPv4 (NLPID 0xcc) or IPv6 (802.2 SNAP, EtherType 0x86dd).
    Ip(IpAddr),
    /// Any other protocol, kept raw.
    Other {
        /// The protocol type (1 NLPID, 2 802.2).
        protocol_type: u8,
        /// The protocol identifier.
        protocol: &'a [u8],
        /// The address.
        address: &'a [u8],
    },
}

/// One CDP advertisement, borrowing its strings from the frame.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Advertisement<'a> {
    /// Protocol version (1 or 2).
    pub version: u8,
    /// Seconds the receiver keeps the information.
    pub ttl: u8,
    /// The checksum field.
    pub checksum: u16,
    /// Device ID.
    pub device_id: Option<&'a [u8]>,
    /// Addresses of the sending interface.
    pub addresses: Vec<Address<'a>>,
    /// Port ID.
    pub port_id: Option<&'a [u8]>,
    /// Capabilities bit map.
    pub capabilities: Option<u32>,
    /// Software version text.
    pub software_version: Option<&'a [u8]>,
    /// Platform.
    pub platform: Option<&'a [u8]>,
    /// VTP management domain.
    pub vtp_domain: Option<&'a [u8]>,
    /// Native VLAN.
    pub native_vlan: Option<u16>,
    /// Duplex: 0 half, anything else full.
    pub duplex: Option<u8>,
    /// Voice VLAN.
    pub voip_vlan: Option<u16>,
    /// Management addresses.
    pub management_addresses: Vec<Address<'a>>,
    /// System name.
    pub system_name: Option<&'a [u8]>,
    /// Physical location.
    pub location: Option<&'a [u8]>,
    /// Types of the TLVs seen but not decoded.
    pub other_tlvs: Vec<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_capabilities_including_unassigned_bits() {
        assert_eq!(capability_names(0x28), vec!["switch", "igmp"]);
        assert_eq!(capability_names(0x8000_0001), vec!["router", "bit31"]);
    }
}
