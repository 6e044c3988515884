//! The LLDPDU as typed values, and the code tables of IEEE 802.1AB-2016 §8.5.

use std::net::IpAddr;

use arrayvec::ArrayVec;
use rampart_dissect::Mac;

/// TLV types of 802.1AB §8.4, Table 8-1.
pub mod tlv {
    /// End of LLDPDU.
    pub const END: u8 = 0;
    /// Chassis ID (mandatory, first).
    pub const CHASSIS_ID: u8 = 1;
    /// Port ID (mandatory, second).
    pub const PORT_ID: u8 = 2;
    /// Time to live (mandatory, third).
    pub const TTL: u8 = 3;
    /// Port description.
    pub const PORT_DESCRIPTION: u8 = 4;
    /// System name.
    pub const SYSTEM_NAME: u8 = 5;
    /// System description.
    pub const SYSTEM_DESCRIPTION: u8 = 6;
    /// System capabilities.
    pub const SYSTEM_CAPABILITIES: u8 = 7;
    /// Management address.
    pub const MANAGEMENT_ADDRESS: u8 = 8;
    /// Organisationally specific.
    pub const ORGANIZATIONAL: u8 = 127;
}

/// OUIs of the organisationally specific TLVs decoded here.
pub mod oui {
    /// IEEE 802.1 (Annex D).
    pub const IEEE_802_1: [u8; 3] = [0x00, 0x80, 0xc2];
    /// IEEE 802.3 (IEEE 802.3 Clause 79).
    pub const IEEE_802_3: [u8; 3] = [0x00, 0x12, 0x0f];
    /// TIA LLDP-MED (ANSI/TIA-1057).
    pub const TIA_MED: [u8; 3] = [0x00, 0x12, 0xbb];
}

/// An address as LLDP carries it: an IANA address family number, then the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address<'a> {
    /// IPv4 (family 1) or IPv6 (family 2).
    Ip(IpAddr),
    /// An IEEE 802 MAC address (family 6).
    Mac(Mac),
    /// Any other family, kept raw.
    Other {
        /// The IANA address family number.
        family: u8,
        /// The address bytes.
        bytes: &'a [u8],
    },
}

/// A chassis or port identifier, decoded by its subtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdValue<'a> {
    /// A MAC address (chassis subtype 4, port subtype 3).
    Mac(Mac),
    /// A network address (chassis subtype 5, port subtype 4).
    Address(Address<'a>),
    /// A printable name (interface name or alias, locally assigned, …).
    Text(&'a [u8]),
    /// Anything else (agent circuit id, unprintable or reserved-subtype ids).
    Raw(&'a [u8]),
}

/// A chassis or port identifier with its subtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id<'a> {
    /// The subtype (802.1AB Tables 8-2 and 8-3).
    pub subtype: u8,
    /// The decoded identifier.
    pub value: IdValue<'a>,
}

/// The system capabilities TLV (§8.5.8): what the system can do and what is switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Supported capabilities.
    pub system: u16,
    /// Enabled capabilities.
    pub enabled: u16,
}

/// Capability bits of §8.5.8.1, Table 8-4, lowest bit first.
const CAPABILITY_NAMES: [&str; 11] = [
    "other",
    "repeater",
    "bridge",
    "wlan_access_point",
    "router",
    "telephone",
    "docsis_cable_device",
    "station_only",
    "c_vlan_component",
    "s_vlan_component",
    "two_port_mac_relay",
];

/// Capability bit: MAC bridge.
pub const CAP_BRIDGE: u16 = 1 << 2;
/// Capability bit: repeater.
pub const CAP_REPEATER: u16 = 1 << 1;
/// Capability bit: WLAN access point.
pub const CAP_WLAN_AP: u16 = 1 << 3;
/// Capability bit: router.
pub const CAP_ROUTER: u16 = 1 << 4;
/// Capability bit: telephone.
pub const CAP_TELEPHONE: u16 = 1 << 5;
/// Capability bit: DOCSIS cable device.
pub const CAP_DOCSIS: u16 = 1 << 6;

/// Name the capability bits set in `bits`; reserved bits are named `bit<n>`.
pub fn capability_names(bits: u16) -> ArrayVec<&'static str, 16> {
    const RESERVED: [&str; 5] = ["bit11", "bit12", "bit13", "bit14", "bit15"];
    (0..16)
        .filter(|i| bits & (1 << i) != 0)
        .filter_map(|i| {
            CAPABILITY_NAMES
                .get(i)
                .or_else(|| RESERVED.get(i.checked_sub(CAPABILITY_NAMES.len())?))
                .copied()
        })
        .collect()
}

/// One management address TLV (§8.5.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagementAddress<'a> {
    /// The address.
    pub address: Address<'a>,
    /// Interface numbering subtype (1 unknown, 2 ifIndex, 3 system port number).
    pub if_subtype: u8,
    /// The interface number.
    pub if_number: u32,
}

/// The IEEE 802.3 MAC/PHY configuration/status TLV (IEEE 802.3 §79.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacPhy {
    /// Auto-negotiation support (bit 0) and status (bit 1).
    pub autoneg: u8,
    /// PMD auto-negotiation advertised capability.
    pub pmd_advertised: u16,
    /// Operational MAU type (RFC 4836 dot3MauType).
    pub mau_type: u16,
}

/// LLDP-MED inventory (ANSI/TIA-1057 §10.2.6, subtypes 5 to 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inventory<'a> {
    /// Hardware revision (subtype 5).
    pub hardware_revision: Option<&'a [u8]>,
    /// Firmware revision (subtype 6).
    pub firmware_revision: Option<&'a [u8]>,
    /// Software revision (subtype 7).
    pub software_revision: Option<&'a [u8]>,
    /// Serial number (subtype 8).
    pub serial_number: Option<&'a [u8]>,
    /// Manufacturer name (subtype 9).
    pub manufacturer: Option<&'a [u8]>,
    /// Model name (subtype 10).
    pub model_name: Option<&'a [u8]>,
    /// Asset id (subtype 11).
    pub asset_id: Option<&'a [u8]>,
}

impl<'a> Inventory<'a> {
    /// Return the slot for LLDP-MED subtype `subtype`, if it is an inventory subtype.
    pub fn slot(&mut self, subtype: u8) -> Option<&mut Option<&'a [u8]>> {
        Some(match subtype {
            5 => &mut self.hardware_revision,
            6 => &mut self.firmware_revision,
            7 => &mut self.software_revision,
            8 => &mut self.serial_number,
            9 => &mut self.manufacturer,
            10 => &mut self.model_name,
            11 => &mut self.asset_id,
            _ => return None,
        })
    }
}

/// An organisationally specific TLV, as seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgTlv {
    /// The organisation.
    pub oui: [u8; 3],
    /// The organisation's subtype.
    pub subtype: u8,
}

/// Management addresses kept per LLDPDU; a switch advertises one or two. Held inline, so
/// that decoding a frame allocates nothing.
pub const MAX_MANAGEMENT: usize = 8;
/// Organisationally specific TLVs kept per LLDPDU; PROFINET and LLDP-MED devices send a
/// dozen.
pub const MAX_ORG: usize = 32;

/// One LLDPDU, borrowing its strings from the frame.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lldpdu<'a> {
    /// Chassis ID.
    pub chassis_id: Option<Id<'a>>,
    /// Port ID.
    pub port_id: Option<Id<'a>>,
    /// Seconds the information stays valid (0: the port is shutting down).
    pub ttl: Option<u16>,
    /// Port description.
    pub port_description: Option<&'a [u8]>,
    /// System name.
    pub system_name: Option<&'a [u8]>,
    /// System description.
    pub system_description: Option<&'a [u8]>,
    /// System capabilities.
    pub capabilities: Option<Capabilities>,
    /// Management addresses, in order (at most [`MAX_MANAGEMENT`]).
    pub management: ArrayVec<ManagementAddress<'a>, MAX_MANAGEMENT>,
    /// 802.1 Port VLAN ID.
    pub port_vlan_id: Option<u16>,
    /// 802.3 MAC/PHY configuration.
    pub mac_phy: Option<MacPhy>,
    /// LLDP-MED inventory.
    pub inventory: Inventory<'a>,
    /// Every organisationally specific TLV, decoded or not (at most [`MAX_ORG`]).
    pub org: ArrayVec<OrgTlv, MAX_ORG>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_capabilities_including_reserved_bits() {
        assert_eq!(capability_names(0x0014).as_slice(), ["bridge", "router"]);
        assert_eq!(capability_names(0x8001).as_slice(), ["other", "bit15"]);
        assert!(capability_names(0).is_empty());
    }
}
