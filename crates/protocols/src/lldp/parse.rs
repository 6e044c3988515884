//! LLDPDU bytes to [`Lldpdu`]: TLVs in order, lenient, every problem located.
//!
//! Parsing never gives up on the whole frame for one bad TLV: the TLV is skipped (or kept in
//! part) and the problem recorded, so a neighbour with one odd vendor TLV still shows up with
//! its name. Only a TLV that runs past the end of the frame stops the walk.

use std::net::IpAddr;

use rampart_dissect::{Mac, Reader};

use super::message::{
    Address, Capabilities, Id, IdValue, Lldpdu, MAX_MANAGEMENT, MAX_ORG, MacPhy, ManagementAddress,
    OrgTlv, oui, tlv,
};

/// A located problem in an LLDPDU. None of them stops the parse except [`LldpError::Truncated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LldpError {
    /// A TLV header or value runs past the end of the frame.
    #[error("TLV at offset {offset} needs {needed} bytes, {available} remain")]
    Truncated {
        /// Where the TLV starts.
        offset: usize,
        /// Bytes the TLV (header included) needs.
        needed: usize,
        /// Bytes left from the TLV's start.
        available: usize,
    },
    /// A TLV's length is outside what its type allows.
    #[error("{tlv} TLV at offset {offset} has length {length}, expected {expected}")]
    BadLength {
        /// The TLV.
        tlv: &'static str,
        /// Where the TLV starts.
        offset: usize,
        /// Its length field.
        length: usize,
        /// The allowed lengths.
        expected: &'static str,
    },
    /// The first three TLVs are not chassis ID, port ID and TTL (§8.2).
    #[error("TLV {position} at offset {offset} has type {found}, expected {expected}")]
    Order {
        /// Where the TLV starts.
        offset: usize,
        /// Its position (0-based).
        position: usize,
        /// The type found.
        found: u8,
        /// The mandatory TLV expected there.
        expected: &'static str,
    },
    /// A mandatory TLV is absent.
    #[error("no {tlv} TLV")]
    Missing {
        /// The missing TLV.
        tlv: &'static str,
    },
    /// A TLV that may appear once appears again; the first is kept.
    #[error("second {tlv} TLV at offset {offset} ignored")]
    Duplicate {
        /// The TLV.
        tlv: &'static str,
        /// Where the repeat starts.
        offset: usize,
    },
    /// A TLV type reserved by 802.1AB (9 to 126).
    #[error("reserved TLV type {tlv_type} at offset {offset}")]
    ReservedType {
        /// Where the TLV starts.
        offset: usize,
        /// The type.
        tlv_type: u8,
    },
    /// A chassis or port ID subtype reserved by 802.1AB.
    #[error("reserved {tlv} subtype {subtype} at offset {offset}")]
    ReservedSubtype {
        /// The TLV.
        tlv: &'static str,
        /// Where the TLV starts.
        offset: usize,
        /// The subtype.
        subtype: u8,
    },
    /// More TLVs of a repeatable type than are kept; the rest are ignored.
    #[error("{tlv} TLV at offset {offset} ignored: only the first {kept} are kept")]
    TooMany {
        /// The TLV.
        tlv: &'static str,
        /// Where the first ignored one starts.
        offset: usize,
        /// How many are kept.
        kept: usize,
    },
    /// Capabilities enabled that the system does not claim to support (§8.5.8.2).
    #[error(
        "enabled capabilities {enabled:#06x} not within supported {system:#06x} at offset {offset}"
    )]
    EnabledNotSupported {
        /// Where the TLV starts.
        offset: usize,
        /// Supported bits.
        system: u16,
        /// Enabled bits.
        enabled: u16,
    },
}

impl LldpError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            LldpError::Truncated { .. } => "truncated_tlv",
            LldpError::BadLength { .. } => "bad_tlv_length",
            LldpError::Order { .. } => "bad_tlv_order",
            LldpError::Missing { .. } => "missing_mandatory_tlv",
            LldpError::Duplicate { .. } => "duplicate_tlv",
            LldpError::ReservedType { .. } => "reserved_tlv_type",
            LldpError::ReservedSubtype { .. } => "reserved_subtype",
            LldpError::TooMany { .. } => "too_many_tlvs",
            LldpError::EnabledNotSupported { .. } => "enabled_capability_not_supported",
        }
    }

    /// Return the offset of the offending TLV, when there is one.
    pub fn offset(&self) -> Option<usize> {
        match *self {
            LldpError::Truncated { offset, .. }
            | LldpError::BadLength { offset, .. }
            | LldpError::Order { offset, .. }
            | LldpError::Duplicate { offset, .. }
            | LldpError::ReservedType { offset, .. }
            | LldpError::ReservedSubtype { offset, .. }
            | LldpError::TooMany { offset, .. }
            | LldpError::EnabledNotSupported { offset, .. } => Some(offset),
            LldpError::Missing { .. } => None,
        }
    }
}

/// The mandatory leading TLVs, in the order §8.2 requires.
const MANDATORY: [(u8, &str); 3] = [
    (tlv::CHASSIS_ID, "chassis id"),
    (tlv::PORT_ID, "port id"),
    (tlv::TTL, "time to live"),
];

/// Parse an LLDPDU (the bytes after the EtherType), collecting problems into `problems`.
pub fn parse<'a>(data: &'a [u8], problems: &mut Vec<LldpError>) -> Lldpdu<'a> {
    let mut out = Lldpdu::default();
    let mut r = Reader::new(data);
    let mut position = 0;
    let mut order_reported = false;
    while r.remaining() > 0 {
        let offset = r.offset();
        let Some((tlv_type, value)) = next_tlv(&mut r) else {
            problems.push(LldpError::Truncated {
                offset,
                needed: tlv_len(data, offset),
                available: data.len() - offset,
            });
            break;
        };
        if tlv_type == tlv::END {
            if !value.is_empty() {
                problems.push(bad_length("end of LLDPDU", offset, value.len(), "0"));
            }
            break;
        }
        let misplaced = MANDATORY
            .get(position)
            .filter(|&&(expected_type, _)| tlv_type != expected_type && !order_reported);
        if let Some(&(_, expected)) = misplaced {
            order_reported = true;
            problems.push(LldpError::Order {
                offset,
                position,
                found: tlv_type,
                expected,
            });
        }
        position += 1;
        let mut t = Tlv {
            offset,
            value,
            problems,
        };
        match tlv_type {
            tlv::CHASSIS_ID => t.once(&mut out.chassis_id, "chassis id", |t| t.id(CHASSIS)),
            tlv::PORT_ID => t.once(&mut out.port_id, "port id", |t| t.id(PORT)),
            tlv::TTL => t.once(&mut out.ttl, "time to live", Tlv::ttl),
            tlv::PORT_DESCRIPTION => t.once(&mut out.port_description, "port description", |t| {
                t.string("port description")
            }),
            tlv::SYSTEM_NAME => t.once(&mut out.system_name, "system name", |t| {
                t.string("system name")
            }),
            tlv::SYSTEM_DESCRIPTION => {
                t.once(&mut out.system_description, "system description", |t| {
                    t.string("system description")
                })
            }
            tlv::SYSTEM_CAPABILITIES => t.once(
                &mut out.capabilities,
                "system capabilities",
                Tlv::capabilities,
            ),
            tlv::MANAGEMENT_ADDRESS => {
                if let Some(m) = t.management()
                    && out.management.try_push(m).is_err()
                {
                    t.too_many("management address", MAX_MANAGEMENT);
                }
            }
            tlv::ORGANIZATIONAL => t.organizational(&mut out),
            other => t.problems.push(LldpError::ReservedType {
                offset,
                tlv_type: other,
            }),
        }
    }
    for (tlv, present) in [
        ("chassis id", out.chassis_id.is_some()),
        ("port id", out.port_id.is_some()),
        ("time to live", out.ttl.is_some()),
    ] {
        if !present {
            problems.push(LldpError::Missing { tlv });
        }
    }
    out
}

/// Read one TLV header (7-bit type, 9-bit length, §8.4) and its value.
fn next_tlv<'a>(r: &mut Reader<'a>) -> Option<(u8, &'a [u8])> {
    let start = r.clone();
    let header = r.u16("tlv header").ok()?;
    let length = usize::from(header & 0x01ff);
    match r.bytes("tlv value", length) {
        Ok(value) => Some(((header >> 9) as u8, value)),
        Err(_) => {
            *r = start;
            None
        }
    }
}

/// Return the bytes the TLV at `offset` claims (header included), or 2 for a partial header.
fn tlv_len(data: &[u8], offset: usize) -> usize {
    match data.get(offset..offset + 2) {
        Some(&[hi, lo]) => 2 + usize::from(u16::from_be_bytes([hi, lo]) & 0x01ff),
        _ => 2,
    }
}

fn bad_length(
    tlv: &'static str,
    offset: usize,
    length: usize,
    expected: &'static str,
) -> LldpError {
    LldpError::BadLength {
        tlv,
        offset,
        length,
        expected,
    }
}

/// Which identifier TLV is being decoded: chassis ID and port ID number their subtypes
/// differently (Tables 8-2 and 8-3).
#[derive(Clone, Copy)]
struct IdKind {
    name: &'static str,
    mac: u8,
    address: u8,
    text: &'static [u8],
    raw: &'static [u8],
}

const CHASSIS: IdKind = IdKind {
    name: "chassis id",
    mac: 4,
    address: 5,
    text: &[1, 2, 3, 6, 7],
    raw: &[],
};

const PORT: IdKind = IdKind {
    name: "port id",
    mac: 3,
    address: 4,
    text: &[1, 2, 5, 7],
    raw: &[6],
};

/// One TLV being decoded: its value, its offset and where problems go.
struct Tlv<'a, 'p> {
    offset: usize,
    value: &'a [u8],
    problems: &'p mut Vec<LldpError>,
}

impl<'a> Tlv<'a, '_> {
    /// Decode a TLV that may appear once: a repeat is reported and ignored.
    fn once<T>(
        &mut self,
        slot: &mut Option<T>,
        name: &'static str,
        decode: impl FnOnce(&mut Self) -> Option<T>,
    ) {
        if slot.is_some() {
            self.problems.push(LldpError::Duplicate {
                tlv: name,
                offset: self.offset,
            });
            return;
        }
        *slot = decode(self);
    }

    fn bad_length(&mut self, tlv: &'static str, expected: &'static str) {
        let e = bad_length(tlv, self.offset, self.value.len(), expected);
        self.problems.push(e);
    }

    /// Chassis ID (§8.5.2) or port ID (§8.5.3): a subtype and 1 to 255 bytes.
    fn id(&mut self, kind: IdKind) -> Option<Id<'a>> {
        let Some((&subtype, id)) = self.value.split_first().filter(|(_, id)| !id.is_empty()) else {
            self.bad_length(kind.name, "2 to 256");
            return None;
        };
        if id.len() > 255 {
            self.bad_length(kind.name, "2 to 256");
        }
        let value = if subtype == kind.mac {
            match Mac::from_slice(id).filter(|_| id.len() == 6) {
                Some(mac) => IdValue::Mac(mac),
                None => {
                    self.bad_length(kind.name, "7 for a MAC address");
                    IdValue::Raw(id)
                }
            }
        } else if subtype == kind.address {
            IdValue::Address(address(id))
        } else if kind.text.contains(&subtype) {
            if printable(id) {
                IdValue::Text(id)
            } else {
                IdValue::Raw(id)
            }
        } else {
            if !kind.raw.contains(&subtype) {
                self.problems.push(LldpError::ReservedSubtype {
                    tlv: kind.name,
                    offset: self.offset,
                    subtype,
                });
            }
            IdValue::Raw(id)
        };
        Some(Id { subtype, value })
    }

    /// Time to live (§8.5.4): two bytes of seconds.
    fn ttl(&mut self) -> Option<u16> {
        match *self.value {
            [hi, lo] => Some(u16::from_be_bytes([hi, lo])),
            _ => {
                self.bad_length("time to live", "2");
                None
            }
        }
    }

    /// Port description, system name, system description (§8.5.5 to §8.5.7): 0 to 255 bytes.
    fn string(&mut self, name: &'static str) -> Option<&'a [u8]> {
        if self.value.len() > 255 {
            self.bad_length(name, "0 to 255");
        }
        Some(self.value)
    }

    /// System capabilities (§8.5.8): supported and enabled bit maps.
    fn capabilities(&mut self) -> Option<Capabilities> {
        let &[a, b, c, d] = self.value else {
            self.bad_length("system capabilities", "4");
            return None;
        };
        let caps = Capabilities {
            system: u16::from_be_bytes([a, b]),
            enabled: u16::from_be_bytes([c, d]),
        };
        if caps.enabled & !caps.system != 0 {
            self.problems.push(LldpError::EnabledNotSupported {
                offset: self.offset,
                system: caps.system,
                enabled: caps.enabled,
            });
        }
        Some(caps)
    }

    /// Report the first TLV of a kind past what is kept, once per LLDPDU.
    fn too_many(&mut self, tlv: &'static str, kept: usize) {
        let reported = self
            .problems
            .iter()
            .any(|p| matches!(p, LldpError::TooMany { tlv: t, .. } if *t == tlv));
        if reported {
            return;
        }
        self.problems.push(LldpError::TooMany {
            tlv,
            offset: self.offset,
            kept,
        });
    }

    /// Management address (§8.5.9): address string, interface numbering, object identifier.
    fn management(&mut self) -> Option<ManagementAddress<'a>> {
        let parsed = management_address(self.value);
        if parsed.is_none() || !(9..=167).contains(&self.value.len()) {
            self.bad_length("management address", "9 to 167, consistent with its fields");
        }
        parsed
    }

    /// Organisationally specific TLV (§8.6): OUI, subtype, information.
    fn organizational(&mut self, out: &mut Lldpdu<'a>) {
        let Some((&[o1, o2, o3, subtype], info)) = self.value.split_first_chunk::<4>() else {
            self.bad_length("organizationally specific", "4 to 511");
            return;
        };
        let org = [o1, o2, o3];
        if out.org.try_push(OrgTlv { oui: org, subtype }).is_err() {
            self.too_many("organizationally specific", MAX_ORG);
        }
        match (org, subtype) {
            (oui::IEEE_802_1, 1) => match *info {
                [hi, lo] => out.port_vlan_id = Some(u16::from_be_bytes([hi, lo])),
                _ => self.bad_length("802.1 port VLAN ID", "6"),
            },
            (oui::IEEE_802_3, 1) => match *info {
                [autoneg, p1, p2, m1, m2] => {
                    out.mac_phy = Some(MacPhy {
                        autoneg,
                        pmd_advertised: u16::from_be_bytes([p1, p2]),
                        mau_type: u16::from_be_bytes([m1, m2]),
                    });
                }
                _ => self.bad_length("802.3 MAC/PHY configuration", "9"),
            },
            (oui::TIA_MED, _) => {
                if let Some(slot) = out.inventory.slot(subtype) {
                    *slot = Some(info);
                }
            }
            _ => {}
        }
    }
}

/// Decode the value of a management address TLV (§8.5.9).
fn management_address(value: &[u8]) -> Option<ManagementAddress<'_>> {
    let mut r = Reader::new(value);
    let string_len = usize::from(r.u8("management address string length").ok()?);
    let string = r.bytes("management address string", string_len).ok()?;
    let (&family, bytes) = string.split_first().filter(|(_, b)| !b.is_empty())?;
    let if_subtype = r.u8("interface numbering subtype").ok()?;
    let if_number = r.u32("interface number").ok()?;
    let oid_len = usize::from(r.u8("object identifier length").ok()?);
    r.skip("object identifier", oid_len).ok()?;
    Some(ManagementAddress {
        address: family_address(family, bytes),
        if_subtype,
        if_number,
    })
}

/// Decode a network address: an IANA address family number, then the address (§8.5.2.3).
fn address(bytes: &[u8]) -> Address<'_> {
    match bytes.split_first() {
        Some((&family, rest)) => family_address(family, rest),
        None => Address::Other { family: 0, bytes },
    }
}

fn family_address(family: u8, bytes: &[u8]) -> Address<'_> {
    match family {
        1 => {
            if let Ok(b) = <[u8; 4]>::try_from(bytes) {
                return Address::Ip(IpAddr::from(b));
            }
        }
        2 => {
            if let Ok(b) = <[u8; 16]>::try_from(bytes) {
                return Address::Ip(IpAddr::from(b));
            }
        }
        6 => {
            if let Some(mac) = Mac::from_slice(bytes).filter(|_| bytes.len() == 6) {
                return Address::Mac(mac);
            }
        }
        _ => {}
    }
    Address::Other { family, bytes }
}

/// Tell whether an identifier reads as text: valid UTF-8 without control characters.
fn printable(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| !s.chars().any(char::is_control))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// The three mandatory TLVs (802.1AB §8.5.2 to §8.5.4).
    const MANDATORY_TLVS: [u8; 21] = [
        0x02, 0x07, // type 1 chassis id, length 7
        0x04, // subtype 4, MAC address
        0x00, 0x1b, 0x1b, 0x02, 0xe6, 0x1f, // chassis MAC
        0x04, 0x04, // type 2 port id, length 4
        0x07, // subtype 7, locally assigned
        b'p', b'1', b'9', // "p19"
        0x06, 0x02, // type 3 time to live, length 2
        0x00, 0x78, // 120 seconds
        0x00, 0x00, // end of LLDPDU
    ];

    fn parse_all(data: &[u8]) -> (Lldpdu<'_>, Vec<LldpError>) {
        let mut problems = Vec::new();
        let du = parse(data, &mut problems);
        (du, problems)
    }

    #[test]
    fn decodes_the_mandatory_tlvs() {
        let (du, problems) = parse_all(&MANDATORY_TLVS);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            du.chassis_id,
            Some(Id {
                subtype: 4,
                value: IdValue::Mac(Mac([0, 0x1b, 0x1b, 2, 0xe6, 0x1f]))
            })
        );
        assert_eq!(
            du.port_id,
            Some(Id {
                subtype: 7,
                value: IdValue::Text(b"p19")
            })
        );
        assert_eq!(du.ttl, Some(120));
    }

    #[test]
    fn stops_at_end_and_ignores_padding() {
        let mut data = MANDATORY_TLVS.to_vec();
        data.extend_from_slice(&[0x10, 0x00, 0x00]); // Ethernet trailer after the end TLV
        let (_, problems) = parse_all(&data);
        assert!(problems.is_empty());
    }

    #[test]
    fn reports_a_tlv_running_past_the_frame() {
        let mut data = MANDATORY_TLVS[..19].to_vec();
        data.extend_from_slice(&[
            0x0a, 0x10, // type 5 system name, length 16
            b'S', b'W', // only two bytes follow
        ]);
        let (du, problems) = parse_all(&data);
        assert_eq!(du.ttl, Some(120));
        assert_eq!(
            problems,
            vec![LldpError::Truncated {
                offset: 19,
                needed: 18,
                available: 4
            }]
        );
    }

    #[test]
    fn decodes_network_address_chassis_id_and_management_address() {
        let data = [
            0x02, 0x06, // chassis id, length 6
            0x05, // subtype 5, network address
            0x01, 10, 0, 0, 1, // IANA family 1 (IPv4), 10.0.0.1
            0x04, 0x07, // port id, length 7
            0x03, // subtype 3, MAC address
            0x00, 0x1b, 0x1b, 0x02, 0xe6, 0x20, // port MAC
            0x06, 0x02, 0x00, 0x14, // ttl 20
            0x10, 0x0c, // type 8 management address, length 12
            0x05, // address string length 5
            0x01, 141, 81, 0, 190,  // IPv4 141.81.0.190
            0x02, // interface numbering: ifIndex
            0x00, 0x00, 0x00, 0x01, // interface 1
            0x00, // no object identifier
        ];
        let (du, problems) = parse_all(&data);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            du.chassis_id.map(|id| id.value),
            Some(IdValue::Address(Address::Ip(IpAddr::V4(Ipv4Addr::new(
                10, 0, 0, 1
            )))))
        );
        assert_eq!(
            du.management.as_slice(),
            [ManagementAddress {
                address: Address::Ip(IpAddr::V4(Ipv4Addr::new(141, 81, 0, 190))),
                if_subtype: 2,
                if_number: 1
            }]
        );
    }

    #[test]
    fn keeps_the_first_organizational_tlvs_and_reports_the_excess_once() {
        let mut data = MANDATORY_TLVS[..19].to_vec();
        for _ in 0..MAX_ORG + 3 {
            data.extend_from_slice(&[0xfe, 0x04, 0x00, 0x0e, 0xcf, 0xff]); // PROFINET, subtype 255
        }
        let mut problems = Vec::new();
        let du = parse(&data, &mut problems);
        assert_eq!(du.org.len(), MAX_ORG);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code(), "too_many_tlvs");
        assert_eq!(problems[0].offset(), Some(19 + 6 * MAX_ORG));
    }

    #[test]
    fn decodes_known_organizational_tlvs_and_keeps_the_others() {
        let mut data = MANDATORY_TLVS[..19].to_vec();
        data.extend_from_slice(&[
            0xfe, 0x06, // type 127, length 6
            0x00, 0x80, 0xc2, 0x01, // IEEE 802.1, subtype 1 port VLAN ID
            0x00, 0x03, // VLAN 3
            0xfe, 0x09, // type 127, length 9
            0x00, 0x12, 0x0f, 0x01, // IEEE 802.3, subtype 1 MAC/PHY
            0x03, // auto-negotiation supported and enabled
            0x6c, 0x00, // advertised capabilities
            0x00, 0x10, // MAU type 16, 100BASE-TX full duplex
            0xfe, 0x0a, // type 127, length 10
            0x00, 0x12, 0xbb, 0x08, // TIA LLDP-MED, subtype 8 serial number
            b'S', b'N', b'-', b'4', b'2', b'7', // "SN-427"
            0xfe, 0x08, // type 127, length 8
            0x00, 0x0e, 0xcf, 0x02, // PROFIBUS International, subtype 2 port status
            0x00, 0x00, 0x00, 0x00, // RTClass2/3 port status
        ]);
        let (du, problems) = parse_all(&data);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(du.port_vlan_id, Some(3));
        assert_eq!(du.mac_phy.map(|m| (m.autoneg, m.mau_type)), Some((3, 16)));
        assert_eq!(du.inventory.serial_number, Some(&b"SN-427"[..]));
        assert_eq!(du.org.len(), 4);
        assert_eq!(
            du.org[3],
            OrgTlv {
                oui: [0x00, 0x0e, 0xcf],
                subtype: 2
            }
        );
    }

    #[test]
    fn reports_order_duplicates_reserved_types_and_missing_tlvs() {
        let data = [
            0x06, 0x02, 0x00, 0x78, // ttl first: out of order
            0x06, 0x02, 0x00, 0x3c, // second ttl
            0x12, 0x00, // type 9, reserved, empty
            0x0e, 0x04, // system capabilities, length 4
            0x00, 0x04, // supported: bridge
            0x00, 0x14, // enabled: bridge and router
        ];
        let (du, problems) = parse_all(&data);
        assert_eq!(du.ttl, Some(120), "the first TTL is kept");
        let codes: Vec<_> = problems.iter().map(LldpError::code).collect();
        assert_eq!(
            codes,
            vec![
                "bad_tlv_order",
                "duplicate_tlv",
                "reserved_tlv_type",
                "enabled_capability_not_supported",
                "missing_mandatory_tlv",
                "missing_mandatory_tlv"
            ]
        );
    }

    #[test]
    fn keeps_ids_with_odd_lengths_or_subtypes_as_raw() {
        let data = [
            0x02, 0x04, // chassis id, length 4
            0x04, // subtype 4, MAC address, but only three bytes
            0xaa, 0xbb, 0xcc, //
            0x04, 0x03, // port id, length 3
            0x09, // subtype 9, reserved
            0x01, 0x02, //
            0x06, 0x01, 0x00, // ttl with length 1
        ];
        let (du, problems) = parse_all(&data);
        assert_eq!(
            du.chassis_id.map(|id| id.value),
            Some(IdValue::Raw(&[0xaa, 0xbb, 0xcc]))
        );
        assert_eq!(du.port_id.map(|id| id.value), Some(IdValue::Raw(&[1, 2])));
        let codes: Vec<_> = problems.iter().map(LldpError::code).collect();
        assert_eq!(
            codes,
            vec![
                "bad_tlv_length",
                "reserved_subtype",
                "bad_tlv_length",
                "missing_mandatory_tlv"
            ]
        );
    }
}
