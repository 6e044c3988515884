//! CDP bytes to [`Advertisement`]: header, checksum, TLVs in order, every problem located.
//!
//! As with LLDP, one bad TLV is reported and skipped; only a TLV whose length cannot be
//! trusted (shorter than its own header, or past the end of the frame) stops the walk.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rampart_dissect::{Reader, Truncated};

use super::message::{Address, Advertisement, tlv};

/// Bytes of the fixed header: version, TTL, checksum.
const HEADER_LEN: usize = 4;

/// A located problem in a CDP frame. Only [`CdpError::Truncated`] prevents a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CdpError {
    /// Not even the 4-byte header.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// A version other than 1 or 2.
    #[error("version {0}, expected 1 or 2")]
    UnknownVersion(u8),
    /// The checksum does not match the frame.
    #[error("checksum {found:#06x} does not match the {len} bytes of the frame")]
    BadChecksum {
        /// The checksum field.
        found: u16,
        /// Bytes covered.
        len: usize,
    },
    /// A TLV runs past the end of the frame.
    #[error(
        "TLV type {tlv_type:#06x} at offset {offset} has length {length}, {available} bytes remain"
    )]
    TruncatedTlv {
        /// Where the TLV starts.
        offset: usize,
        /// Its type.
        tlv_type: u16,
        /// Its length field.
        length: usize,
        /// Bytes left from the TLV's start.
        available: usize,
    },
    /// A TLV whose length does not fit its type.
    #[error("TLV type {tlv_type:#06x} at offset {offset} has length {length}, expected {expected}")]
    BadLength {
        /// Where the TLV starts.
        offset: usize,
        /// Its type.
        tlv_type: u16,
        /// Its length field (header included).
        length: usize,
        /// The allowed lengths.
        expected: &'static str,
    },
    /// A TLV that may appear once appears again; the first is kept.
    #[error("second TLV of type {tlv_type:#06x} at offset {offset} ignored")]
    Duplicate {
        /// Where the repeat starts.
        offset: usize,
        /// Its type.
        tlv_type: u16,
    },
    /// An address entry that runs past its TLV or that has the wrong size.
    #[error("address entry at offset {offset}: {reason}")]
    BadAddress {
        /// Where the entry starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl CdpError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            CdpError::Truncated(_) => "truncated",
            CdpError::UnknownVersion(_) => "unknown_version",
            CdpError::BadChecksum { .. } => "bad_checksum",
            CdpError::TruncatedTlv { .. } => "truncated_tlv",
            CdpError::BadLength { .. } => "bad_tlv_length",
            CdpError::Duplicate { .. } => "duplicate_tlv",
            CdpError::BadAddress { .. } => "bad_address",
        }
    }

    /// Return the offset of the offending field.
    pub fn offset(&self) -> usize {
        match *self {
            CdpError::Truncated(t) => t.offset,
            CdpError::UnknownVersion(_) => 0,
            CdpError::BadChecksum { .. } => 2,
            CdpError::TruncatedTlv { offset, .. }
            | CdpError::BadLength { offset, .. }
            | CdpError::Duplicate { offset, .. }
            | CdpError::BadAddress { offset, .. } => offset,
        }
    }
}

/// Parse a CDP frame (the bytes after the SNAP header), collecting problems into `problems`.
pub fn parse<'a>(
    data: &'a [u8],
    problems: &mut Vec<CdpError>,
) -> Result<Advertisement<'a>, CdpError> {
    let mut r = Reader::new(data);
    let mut out = Advertisement {
        version: r.u8("version")?,
        ttl: r.u8("ttl")?,
        checksum: r.u16("checksum")?,
        ..Advertisement::default()
    };
    if !matches!(out.version, 1 | 2) {
        problems.push(CdpError::UnknownVersion(out.version));
    }
    if !checksum_ok(data) {
        problems.push(CdpError::BadChecksum {
            found: out.checksum,
            len: data.len(),
        });
    }
    while r.remaining() > 0 {
        let offset = r.offset();
        let header = (r.u16("tlv type"), r.u16("tlv length"));
        let (Ok(tlv_type), Ok(length)) = header else {
            problems.push(CdpError::TruncatedTlv {
                offset,
                tlv_type: header.0.unwrap_or_default(),
                length: 0,
                available: data.len() - offset,
            });
            break;
        };
        let length = usize::from(length);
        if length < HEADER_LEN {
            problems.push(CdpError::BadLength {
                offset,
                tlv_type,
                length,
                expected: "at least 4",
            });
            break;
        }
        let Ok(value) = r.bytes("tlv value", length - HEADER_LEN) else {
            problems.push(CdpError::TruncatedTlv {
                offset,
                tlv_type,
                length,
                available: data.len() - offset,
            });
            break;
        };
        let mut t = Tlv {
            offset,
            tlv_type,
            value,
            problems: &mut *problems,
        };
        match tlv_type {
            tlv::DEVICE_ID => t.once(&mut out.device_id, Tlv::string),
            tlv::ADDRESSES => t.addresses(&mut out.addresses),
            tlv::PORT_ID => t.once(&mut out.port_id, Tlv::string),
            tlv::CAPABILITIES => t.once(&mut out.capabilities, Tlv::u32),
            tlv::SOFTWARE_VERSION => t.once(&mut out.software_version, Tlv::string),
            tlv::PLATFORM => t.once(&mut out.platform, Tlv::string),
            tlv::VTP_DOMAIN => t.once(&mut out.vtp_domain, Tlv::string),
            tlv::NATIVE_VLAN => t.once(&mut out.native_vlan, Tlv::u16),
            tlv::DUPLEX => t.once(&mut out.duplex, Tlv::u8),
            tlv::VOIP_VLAN_REPLY => t.once(&mut out.voip_vlan, Tlv::voip_vlan),
            tlv::MANAGEMENT_ADDRESSES => t.addresses(&mut out.management_addresses),
            tlv::SYSTEM_NAME => t.once(&mut out.system_name, Tlv::string),
            tlv::LOCATION => t.once(&mut out.location, Tlv::string),
            other => out.other_tlvs.push(other),
        }
    }
    Ok(out)
}

/// Verify the checksum: the Internet checksum (RFC 1071) over the whole frame, except that
/// Cisco pads an odd last byte on the left and, when its top bit is set, adds it as a
/// sign-extended value; Wireshark's dissector documents the quirk.
pub fn checksum_ok(data: &[u8]) -> bool {
    let mut words = data.chunks_exact(2);
    let mut sum: u64 = words
        .by_ref()
        .map(|w| match *w {
            [hi, lo] => u64::from(u16::from_be_bytes([hi, lo])),
            _ => 0,
        })
        .sum();
    if let [last] = *words.remainder() {
        sum += if last & 0x80 != 0 {
            0xff00 | u64::from(last.wrapping_sub(1))
        } else {
            u64::from(last)
        };
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum == 0xffff
}

/// One TLV being decoded: its value, its location and where problems go.
struct Tlv<'a, 'p> {
    offset: usize,
    tlv_type: u16,
    value: &'a [u8],
    problems: &'p mut Vec<CdpError>,
}

impl<'a> Tlv<'a, '_> {
    /// Decode a TLV that may appear once: a repeat is reported and ignored.
    fn once<T>(&mut self, slot: &mut Option<T>, decode: impl FnOnce(&mut Self) -> Option<T>) {
        if slot.is_some() {
            self.problems.push(CdpError::Duplicate {
                offset: self.offset,
                tlv_type: self.tlv_type,
            });
            return;
        }
        *slot = decode(self);
    }

    fn bad_length(&mut self, expected: &'static str) {
        self.problems.push(CdpError::BadLength {
            offset: self.offset,
            tlv_type: self.tlv_type,
            length: self.value.len() + HEADER_LEN,
            expected,
        });
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        Some(self.value)
    }

    fn u8(&mut self) -> Option<u8> {
        match *self.value {
            [b] => Some(b),
            _ => {
                self.bad_length("5");
                None
            }
        }
    }

    fn u16(&mut self) -> Option<u16> {
        match *self.value {
            [hi, lo] => Some(u16::from_be_bytes([hi, lo])),
            _ => {
                self.bad_length("6");
                None
            }
        }
    }

    fn u32(&mut self) -> Option<u32> {
        match *self.value {
            [a, b, c, d] => Some(u32::from_be_bytes([a, b, c, d])),
            _ => {
                self.bad_length("8");
                None
            }
        }
    }

    /// Voice VLAN reply: one data byte, then the VLAN. Six-byte variants carry no VLAN.
    fn voip_vlan(&mut self) -> Option<u16> {
        match *self.value {
            [_, hi, lo, ..] => Some(u16::from_be_bytes([hi, lo])),
            [_] => None,
            _ => {
                self.bad_length("5 or at least 7");
                None
            }
        }
    }

    /// Addresses: a 32-bit count, then entries of protocol type, protocol length, protocol,
    /// address length and address. The count is not trusted: entries are read while bytes
    /// remain, so a huge count costs nothing.
    fn addresses(&mut self, out: &mut Vec<Address<'a>>) {
        let base = self.offset + HEADER_LEN;
        let mut r = Reader::new(self.value);
        let Ok(count) = r.u32("number of addresses") else {
            self.bad_length("at least 8");
            return;
        };
        let mut read = 0u32;
        while read < count && r.remaining() > 0 {
            let at = base + r.offset();
            match address(&mut r) {
                Ok(Some(a)) => out.push(a),
                Ok(None) => self.problems.push(CdpError::BadAddress {
                    offset: at,
                    reason: "IP address of the wrong size",
                }),
                Err(_) => {
                    self.problems.push(CdpError::BadAddress {
                        offset: at,
                        reason: "entry runs past its TLV",
                    });
                    return;
                }
            }
            read += 1;
        }
        if read < count {
            self.problems.push(CdpError::BadAddress {
                offset: base,
                reason: "fewer entries than the count says",
            });
        }
    }
}

/// NLPID for IP (ISO/IEC TR 9577).
const NLPID_IP: &[u8] = &[0xcc];
/// 802.2 LLC/SNAP header announcing IPv6.
const SNAP_IPV6: &[u8] = &[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd];

/// Read one address entry; `Ok(None)` for an IP address of the wrong size.
fn address<'a>(r: &mut Reader<'a>) -> Result<Option<Address<'a>>, Truncated> {
    let protocol_type = r.u8("protocol type")?;
    let protocol_len = usize::from(r.u8("protocol length")?);
    let protocol = r.bytes("protocol", protocol_len)?;
    let address_len = usize::from(r.u16("address length")?);
    let address = r.bytes("address", address_len)?;
    Ok(match (protocol_type, protocol) {
        (1, NLPID_IP) => <[u8; 4]>::try_from(address)
            .ok()
            .map(|b| Address::Ip(IpAddr::V4(Ipv4Addr::from(b)))),
        (2, SNAP_IPV6) => <[u8; 16]>::try_from(address)
            .ok()
            .map(|b| Address::Ip(IpAddr::V6(Ipv6Addr::from(b)))),
        _ => Some(Address::Other {
            protocol_type,
            protocol,
            address,
        }),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Fill in the checksum of a CDP frame, as a sender computes it.
    pub(crate) fn seal(frame: &mut [u8]) {
        frame[2] = 0;
        frame[3] = 0;
        // Wireshark's reference: copy, move an odd last byte to the right of a zero byte and
        // subtract one from both when its top bit is set, then the plain RFC 1071 sum.
        let mut padded = frame.to_vec();
        if padded.len() % 2 == 1 {
            let last = padded[padded.len() - 1];
            let n = padded.len();
            padded[n - 1] = 0;
            padded.push(last);
            if last & 0x80 != 0 {
                padded[n] -= 1;
                padded[n - 1] = padded[n - 1].wrapping_sub(1);
            }
        }
        let mut sum: u32 = padded
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        let checksum = !(sum as u16);
        frame[2..4].copy_from_slice(&checksum.to_be_bytes());
    }

    /// A CDPv2 advertisement from a switch port.
    pub(crate) fn switch_advertisement() -> Vec<u8> {
        let mut f = vec![
            0x02, // version 2
            0xb4, // ttl 180 s
            0x00, 0x00, // checksum, filled in by seal()
            0x00, 0x01, 0x00, 0x09, // device id, length 9
            b'N', b's', b'5', b'g', b't', // "Ns5gt"
            0x00, 0x02, 0x00, 0x11, // addresses, length 17
            0x00, 0x00, 0x00, 0x01, // one address
            0x01, 0x01, 0xcc, // NLPID, length 1, IP
            0x00, 0x04, 192, 168, 10, 253, // 192.168.10.253
            0x00, 0x03, 0x00, 0x14, // port id, length 20
        ];
        f.extend_from_slice(b"GigabitEthernet1");
        f.extend_from_slice(&[
            0x00, 0x04, 0x00, 0x08, // capabilities, length 8
            0x00, 0x00, 0x00, 0x28, // switch, IGMP
            0x00, 0x06, 0x00, 0x17, // platform, length 23
        ]);
        f.extend_from_slice(b"cisco WS-CE500-24TT");
        f.extend_from_slice(&[0x00, 0x05, 0x00, 0x57]); // software version, length 87
        f.extend_from_slice(
            b"Cisco IOS Software, CE500 Software (CE500-LANBASE-M), Version 12.2(25)SEG4, RELEASE",
        );
        f.extend_from_slice(&[
            0x00, 0x0a, 0x00, 0x06, 0x00, 0x03, // native VLAN 3
            0x00, 0x0b, 0x00, 0x05, 0x01, // duplex full
            0x00, 0x16, 0x00, 0x11, // management addresses, length 17
            0x00, 0x00, 0x00, 0x01, // one address
            0x01, 0x01, 0xcc, 0x00, 0x04, 192, 168, 10, 253, // NLPID IP 192.168.10.253
            0x00, 0x12, 0x00, 0x05, 0x00, // trust bitmap, not decoded
        ]);
        seal(&mut f);
        f
    }

    #[test]
    fn decodes_a_switch_advertisement() {
        let frame = switch_advertisement();
        let mut problems = Vec::new();
        let ad = parse(&frame, &mut problems).expect("header present");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((ad.version, ad.ttl), (2, 180));
        assert_eq!(ad.device_id, Some(&b"Ns5gt"[..]));
        assert_eq!(
            ad.addresses,
            vec![Address::Ip(IpAddr::V4(Ipv4Addr::new(192, 168, 10, 253)))]
        );
        assert_eq!(ad.port_id, Some(&b"GigabitEthernet1"[..]));
        assert_eq!(ad.capabilities, Some(0x28));
        assert_eq!(ad.native_vlan, Some(3));
        assert_eq!(ad.duplex, Some(1));
        assert_eq!(ad.management_addresses.len(), 1);
        assert_eq!(ad.other_tlvs, vec![0x0012]);
    }

    #[test]
    fn verifies_odd_length_checksums_the_cisco_way() {
        for last in [0x41, 0xc1] {
            let mut frame = switch_advertisement();
            frame.extend_from_slice(&[0x00, 0x13, 0x00, 0x05, last]); // untrusted port CoS
            seal(&mut frame);
            assert!(checksum_ok(&frame), "last byte {last:#x}");
            frame[10] ^= 1;
            assert!(!checksum_ok(&frame));
        }
    }

    #[test]
    fn reports_a_corrupted_frame_and_keeps_parsing() {
        let mut frame = switch_advertisement();
        frame[8] = b'X';
        let mut problems = Vec::new();
        let ad = parse(&frame, &mut problems).expect("header present");
        assert_eq!(ad.device_id, Some(&b"Xs5gt"[..]));
        assert_eq!(
            problems.iter().map(CdpError::code).collect::<Vec<_>>(),
            vec!["bad_checksum"]
        );
    }

    #[test]
    fn stops_at_a_tlv_shorter_than_its_header_or_past_the_end() {
        let mut problems = Vec::new();
        let frame = [
            0x02, 0xb4, 0x00, 0x00, // header
            0x00, 0x01, 0x00, 0x02, // device id with length 2
            0x00, 0x06, 0x00, 0x17, b'c', // platform claiming 23 bytes
        ];
        parse(&frame, &mut problems).expect("header present");
        assert_eq!(problems[1].code(), "bad_tlv_length");
        assert_eq!(problems.len(), 2);
        problems.clear();
        parse(
            &frame[..4]
                .iter()
                .chain(&frame[8..])
                .copied()
                .collect::<Vec<_>>(),
            &mut problems,
        )
        .expect("header present");
        assert_eq!(problems[1].code(), "truncated_tlv");
        assert_eq!(problems[1].offset(), 4);
    }

    #[test]
    fn does_not_trust_the_address_count() {
        let mut frame = vec![
            0x02, 0xb4, 0x00, 0x00, // header
            0x00, 0x02, 0x00, 0x11, // addresses, length 17
            0xff, 0xff, 0xff, 0xff, // four billion addresses
            0x01, 0x01, 0xcc, 0x00, 0x04, 10, 0, 0, 1, // one IPv4 address
        ];
        seal(&mut frame);
        let mut problems = Vec::new();
        let ad = parse(&frame, &mut problems).expect("header present");
        assert_eq!(ad.addresses.len(), 1);
        assert_eq!(
            problems.iter().map(CdpError::code).collect::<Vec<_>>(),
            vec!["bad_address"]
        );
    }

    #[test]
    fn decodes_ipv6_and_keeps_other_protocols() {
        let mut v = Vec::new();
        v.extend_from_slice(&[0x00, 0x00, 0x00, 0x02]); // two addresses
        v.extend_from_slice(&[0x02, 0x08]); // 802.2, protocol length 8
        v.extend_from_slice(SNAP_IPV6);
        v.extend_from_slice(&[0x00, 0x10]); // address length 16
        v.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]); // fe80::1
        v.extend_from_slice(&[0x01, 0x01, 0x81, 0x00, 0x02, 0xab, 0xcd]); // NLPID 0x81, CLNP
        let mut problems = Vec::new();
        let mut out = Vec::new();
        Tlv {
            offset: 4,
            tlv_type: tlv::ADDRESSES,
            value: &v,
            problems: &mut problems,
        }
        .addresses(&mut out);
        assert!(problems.is_empty());
        assert_eq!(out[0], Address::Ip("fe80::1".parse().expect("literal")));
        assert_eq!(
            out[1],
            Address::Other {
                protocol_type: 1,
                protocol: &[0x81],
                address: &[0xab, 0xcd]
            }
        );
    }

    #[test]
    fn rejects_a_frame_shorter_than_its_header() {
        let mut problems = Vec::new();
        let err = parse(&[0x02, 0xb4, 0x0b], &mut problems).expect_err("three bytes");
        assert_eq!(err.code(), "truncated");
    }
}
