//! BACnet/IP framing as pure functions over one datagram: the BVLC header (Annex J.2), the
//! NPDU header and network layer messages (clause 6.2, 6.4) and the APDU header (clause
//! 20.1). Service parameters are read in `service.rs`.
//!
//! Reading is lax: a header that parsed is returned with the oddities found along the way
//! (a BVLC length that disagrees with the datagram, reserved control bits), and an error
//! names the field, its offset in the datagram and the lengths involved.

use std::net::{Ipv4Addr, SocketAddrV4};

use rampart_dissect::{Reader, Truncated};

use super::message::{BvlcFunction, ConfirmedService, NetworkMessage, PduType, UnconfirmedService};

/// The BVLC type octet of BACnet/IPv4 (J.2).
pub const BVLC_IPV4: u8 = 0x81;

/// Why part of a datagram could not be read, located in the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BacnetError {
    /// A field runs past the end of its message.
    #[error("{field}: needs {needed} bytes at offset {offset}, {available} available")]
    Truncated {
        /// The field.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes that remained.
        available: usize,
    },
    /// A BVLC type other than BACnet/IPv4.
    #[error("BVLC type {found:#04x} is not BACnet/IPv4 (0x81)")]
    BvlcType {
        /// The type octet.
        found: u8,
    },
    /// The BVLC length field disagrees with the datagram.
    #[error("BVLC length {claimed} but the datagram has {actual} bytes")]
    BvlcLength {
        /// The length field.
        claimed: u16,
        /// The datagram's length.
        actual: usize,
    },
    /// An NPDU version other than 1.
    #[error("NPDU version {found} at offset {offset}, expected 1")]
    NpduVersion {
        /// The version octet.
        found: u8,
        /// Where it is.
        offset: usize,
    },
    /// A tag that the encoding rules forbid.
    #[error("tag at offset {offset}: {reason}")]
    BadTag {
        /// Where the tag starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Constructed values nested past the cap.
    #[error("constructed values nested deeper than {depth} at offset {offset}")]
    TooDeep {
        /// Where the opening tag past the cap is.
        offset: usize,
        /// The cap.
        depth: usize,
    },
    /// A closing tag that does not match its opening tag.
    #[error("closing tag {closed} at offset {offset} does not close opening tag {opened}")]
    Unbalanced {
        /// Where the closing tag is.
        offset: usize,
        /// The opening tag's number.
        opened: u8,
        /// The closing tag's number.
        closed: u8,
    },
    /// A closing tag with no opening tag before it.
    #[error("closing tag {closed} at offset {offset} closes nothing")]
    StrayClosing {
        /// Where the closing tag is.
        offset: usize,
        /// Its number.
        closed: u8,
    },
    /// A parameter of the wrong type, or missing.
    #[error("{service}: expected {expected} at offset {offset}")]
    Unexpected {
        /// The service.
        service: &'static str,
        /// What the encoding calls for.
        expected: &'static str,
        /// Where the tag is (or the end).
        offset: usize,
    },
    /// Bytes after a service's last parameter.
    #[error("{len} bytes after the service parameters at offset {offset}")]
    TrailingData {
        /// Where they start.
        offset: usize,
        /// How many.
        len: usize,
    },
}

impl BacnetError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            BacnetError::Truncated { .. } => "truncated",
            BacnetError::BvlcType { .. } => "unsupported_bvlc_type",
            BacnetError::BvlcLength { .. } => "bvlc_length_mismatch",
            BacnetError::NpduVersion { .. } => "bad_npdu_version",
            BacnetError::BadTag { .. } => "bad_tag",
            BacnetError::TooDeep { .. } => "nesting_too_deep",
            BacnetError::Unbalanced { .. } | BacnetError::StrayClosing { .. } => "unbalanced_tags",
            BacnetError::Unexpected { .. } => "unexpected_parameter",
            BacnetError::TrailingData { .. } => "trailing_data",
        }
    }

    /// Return the offset of the offending field in the datagram.
    pub fn offset(&self) -> usize {
        match *self {
            BacnetError::Truncated { offset, .. }
            | BacnetError::NpduVersion { offset, .. }
            | BacnetError::BadTag { offset, .. }
            | BacnetError::TooDeep { offset, .. }
            | BacnetError::Unbalanced { offset, .. }
            | BacnetError::StrayClosing { offset, .. }
            | BacnetError::Unexpected { offset, .. }
            | BacnetError::TrailingData { offset, .. } => offset,
            BacnetError::BvlcType { .. } => 0,
            BacnetError::BvlcLength { .. } => 2,
        }
    }
}

/// Turn a reader's truncation at `base` into a located error.
fn located(base: usize) -> impl Fn(Truncated) -> BacnetError {
    move |t| BacnetError::Truncated {
        field: t.field,
        offset: base + t.offset,
        needed: t.needed,
        available: t.available,
    }
}

/// The BVLC header and the function's own fields (J.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bvlc<'a> {
    /// The function.
    pub function: BvlcFunction,
    /// The length field.
    pub length: u16,
    /// A length field that disagrees with the datagram.
    pub length_mismatch: Option<BacnetError>,
    /// The B/IP address of the originator of a Forwarded-NPDU (J.2.9).
    pub origin: Option<SocketAddrV4>,
    /// The result code of a BVLC-Result (J.2.1).
    pub result: Option<u16>,
    /// The time-to-live of a Register-Foreign-Device, seconds (J.2.6).
    pub ttl: Option<u16>,
    /// Entries of a Write-BDT, Read-BDT-Ack or Read-FDT-Ack table.
    pub entries: Option<usize>,
    /// The NPDU, for functions that carry one.
    pub npdu: Option<&'a [u8]>,
    /// Offset of the NPDU in the datagram.
    pub npdu_offset: usize,
}

/// Read a BVLC header and its function's fields.
pub fn bvlc(data: &[u8]) -> Result<Bvlc<'_>, BacnetError> {
    let mut r = Reader::new(data);
    let kind = r.u8("BVLC type").map_err(located(0))?;
    if kind != BVLC_IPV4 {
        return Err(BacnetError::BvlcType { found: kind });
    }
    let function = BvlcFunction(r.u8("BVLC function").map_err(located(0))?);
    let length = r.u16("BVLC length").map_err(located(0))?;
    let claimed = usize::from(length);
    let length_mismatch = (claimed != data.len()).then_some(BacnetError::BvlcLength {
        claimed: length,
        actual: data.len(),
    });
    // The body is everything that arrived: encoders that get the length wrong still send
    // whole messages, and a length too short would hide parameters (passwords) from view.
    let body = data.get(4..).unwrap_or_default();
    let mut b = Reader::new(body);
    let at = located(4);
    let mut out = Bvlc {
        function,
        length,
        length_mismatch,
        origin: None,
        result: None,
        ttl: None,
        entries: None,
        npdu: None,
        npdu_offset: 4,
    };
    match function.0 {
        0x00 => out.result = Some(b.u16("result code").map_err(at)?),
        0x01 | 0x03 => out.entries = Some(body.len() / 10),
        0x04 => {
            let ip = b.bytes("originating address", 4).map_err(&at)?;
            let port = b.u16("originating port").map_err(&at)?;
            out.origin = Some(SocketAddrV4::new(
                Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]),
                port,
            ));
            out.npdu = Some(b.rest());
            out.npdu_offset = 10;
        }
        0x05 => out.ttl = Some(b.u16("time-to-live").map_err(at)?),
        0x07 => out.entries = Some(body.len() / 10),
        0x09..=0x0b => out.npdu = Some(body),
        _ => {}
    }
    Ok(out)
}

/// The network layer header (6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Npdu<'a> {
    /// The control octet.
    pub control: u8,
    /// Destination network, when the destination specifier is present.
    pub dnet: Option<u16>,
    /// Destination MAC address (empty: broadcast on `dnet`).
    pub dadr: &'a [u8],
    /// Source network, when the source specifier is present.
    pub snet: Option<u16>,
    /// Source MAC address.
    pub sadr: &'a [u8],
    /// Hop count, present with a destination.
    pub hop_count: Option<u8>,
    /// The network layer message type, for a network layer message.
    pub message: Option<NetworkMessage>,
    /// Vendor id of a proprietary network layer message.
    pub vendor_id: Option<u16>,
    /// What follows: the APDU or the network layer message's parameters.
    pub body: &'a [u8],
    /// Offset of `body` in the datagram.
    pub body_offset: usize,
}

impl Npdu<'_> {
    /// Tell whether the sender expects a reply (6.2.2).
    pub fn expecting_reply(&self) -> bool {
        self.control & 0x04 != 0
    }

    /// Return the priority bits.
    pub fn priority(&self) -> u8 {
        self.control & 0x03
    }

    /// Return the reserved control bits that are set (bits 6 and 4 shall be zero).
    pub fn reserved_bits(&self) -> u8 {
        self.control & 0x50
    }
}

/// Read an NPDU header found at `base` in the datagram.
pub fn npdu(data: &[u8], base: usize) -> Result<Npdu<'_>, BacnetError> {
    let at = located(base);
    let mut r = Reader::new(data);
    let version = r.u8("NPDU version").map_err(&at)?;
    if version != 1 {
        return Err(BacnetError::NpduVersion {
            found: version,
            offset: base,
        });
    }
    let control = r.u8("NPDU control").map_err(&at)?;
    let mut out = Npdu {
        control,
        dnet: None,
        dadr: &[],
        snet: None,
        sadr: &[],
        hop_count: None,
        message: None,
        vendor_id: None,
        body: &[],
        body_offset: base,
    };
    if control & 0x20 != 0 {
        out.dnet = Some(r.u16("DNET").map_err(&at)?);
        let len = r.u8("DLEN").map_err(&at)?;
        out.dadr = r.bytes("DADR", usize::from(len)).map_err(&at)?;
    }
    if control & 0x08 != 0 {
        out.snet = Some(r.u16("SNET").map_err(&at)?);
        let len = r.u8("SLEN").map_err(&at)?;
        out.sadr = r.bytes("SADR", usize::from(len)).map_err(&at)?;
    }
    if out.dnet.is_some() {
        out.hop_count = Some(r.u8("hop count").map_err(&at)?);
    }
    if control & 0x80 != 0 {
        let kind = NetworkMessage(r.u8("network message type").map_err(&at)?);
        out.message = Some(kind);
        if kind.0 >= 0x80 {
            out.vendor_id = Some(r.u16("vendor id").map_err(&at)?);
        }
    }
    out.body_offset = base + r.offset();
    out.body = r.rest();
    Ok(out)
}

/// What a network layer message says (6.4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkFields {
    /// Network numbers listed or named.
    pub networks: Vec<u64>,
    /// Reject-Message-To-Network reason.
    pub reject_reason: Option<u8>,
    /// I-Could-Be-Router-To-Network performance index.
    pub performance_index: Option<u8>,
    /// Network-Number-Is: whether the number was configured (1) or learned (0).
    pub configured: Option<bool>,
}

/// Networks listed per message, at most.
pub const MAX_NETWORKS: usize = 64;

/// Read a network layer message's parameters into `out` (cleared first).
pub fn network_message(
    kind: NetworkMessage,
    data: &[u8],
    base: usize,
    out: &mut NetworkFields,
) -> Result<(), BacnetError> {
    out.networks.clear();
    out.reject_reason = None;
    out.performance_index = None;
    out.configured = None;
    let at = located(base);
    let mut r = Reader::new(data);
    match kind.0 {
        // Who-Is-Router-To-Network: an optional network number.
        0x00 | 0x12 if r.remaining() == 0 => {}
        0x00 => out.networks.push(r.u16("DNET").map_err(at)?.into()),
        0x01 | 0x04 | 0x05 => {
            while r.remaining() >= 2 && out.networks.len() < MAX_NETWORKS {
                out.networks.push(r.u16("DNET").map_err(&at)?.into());
            }
        }
        0x02 => {
            out.networks.push(r.u16("DNET").map_err(&at)?.into());
            out.performance_index = Some(r.u8("performance index").map_err(&at)?);
        }
        0x03 => {
            out.reject_reason = Some(r.u8("reject reason").map_err(&at)?);
            out.networks.push(r.u16("DNET").map_err(&at)?.into());
        }
        0x06 | 0x07 => {
            let ports = r.u8("number of ports").map_err(&at)?;
            for _ in 0..ports {
                out.networks
                    .push(r.u16("connected DNET").map_err(&at)?.into());
                r.u8("port id").map_err(&at)?;
                let info = r.u8("port info length").map_err(&at)?;
                r.skip("port info", usize::from(info)).map_err(&at)?;
            }
        }
        0x08 | 0x09 => out.networks.push(r.u16("DNET").map_err(at)?.into()),
        0x13 => {
            out.networks
                .push(r.u16("network number").map_err(&at)?.into());
            out.configured = Some(r.u8("configured flag").map_err(&at)? != 0);
        }
        _ => {}
    }
    Ok(())
}

/// The segmentation fields of a segmented confirmed request or complex ACK (20.1.2.6–7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The sequence number of this segment.
    pub sequence: u8,
    /// The proposed window size.
    pub window: u8,
    /// More segments follow.
    pub more_follows: bool,
}

/// An APDU header (20.1.2–20.1.9) and where its service parameters are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apdu<'a> {
    /// BACnet-Confirmed-Request-PDU.
    Confirmed {
        /// The invoke id.
        invoke_id: u8,
        /// The service.
        service: ConfirmedService,
        /// Segmented-response-accepted.
        segmented_response_accepted: bool,
        /// Max-segments-accepted code.
        max_segments: u8,
        /// Max-APDU-length-accepted code.
        max_apdu: u8,
        /// Segmentation, when the request is segmented.
        segment: Option<Segment>,
        /// The service parameters.
        params: &'a [u8],
        /// Their offset in the datagram.
        params_offset: usize,
    },
    /// BACnet-Unconfirmed-Request-PDU.
    Unconfirmed {
        /// The service.
        service: UnconfirmedService,
        /// The service parameters.
        params: &'a [u8],
        /// Their offset in the datagram.
        params_offset: usize,
    },
    /// BACnet-SimpleACK-PDU.
    SimpleAck {
        /// The invoke id.
        invoke_id: u8,
        /// The service acknowledged.
        service: ConfirmedService,
    },
    /// BACnet-ComplexACK-PDU.
    ComplexAck {
        /// The invoke id.
        invoke_id: u8,
        /// The service acknowledged.
        service: ConfirmedService,
        /// Segmentation, when the ACK is segmented.
        segment: Option<Segment>,
        /// The service ACK parameters.
        params: &'a [u8],
        /// Their offset in the datagram.
        params_offset: usize,
    },
    /// BACnet-SegmentACK-PDU.
    SegmentAck {
        /// The invoke id.
        invoke_id: u8,
        /// Negative-ACK.
        negative: bool,
        /// Sent by the server.
        server: bool,
        /// The sequence number acknowledged.
        sequence: u8,
        /// The actual window size.
        window: u8,
    },
    /// BACnet-Error-PDU.
    Error {
        /// The invoke id.
        invoke_id: u8,
        /// The service that failed.
        service: ConfirmedService,
        /// The error parameters.
        params: &'a [u8],
        /// Their offset in the datagram.
        params_offset: usize,
    },
    /// BACnet-Reject-PDU.
    Reject {
        /// The invoke id.
        invoke_id: u8,
        /// The reject reason.
        reason: u8,
    },
    /// BACnet-Abort-PDU.
    Abort {
        /// The invoke id.
        invoke_id: u8,
        /// Sent by the server.
        server: bool,
        /// The abort reason.
        reason: u8,
    },
    /// A reserved PDU type (8–15): nothing more can be read.
    Reserved(PduType),
}

impl Apdu<'_> {
    /// Return the PDU type.
    pub fn pdu_type(&self) -> PduType {
        PduType(match self {
            Apdu::Confirmed { .. } => 0,
            Apdu::Unconfirmed { .. } => 1,
            Apdu::SimpleAck { .. } => 2,
            Apdu::ComplexAck { .. } => 3,
            Apdu::SegmentAck { .. } => 4,
            Apdu::Error { .. } => 5,
            Apdu::Reject { .. } => 6,
            Apdu::Abort { .. } => 7,
            Apdu::Reserved(t) => t.0,
        })
    }

    /// Return the invoke id of a PDU that has one.
    pub fn invoke_id(&self) -> Option<u8> {
        match *self {
            Apdu::Confirmed { invoke_id, .. }
            | Apdu::SimpleAck { invoke_id, .. }
            | Apdu::ComplexAck { invoke_id, .. }
            | Apdu::SegmentAck { invoke_id, .. }
            | Apdu::Error { invoke_id, .. }
            | Apdu::Reject { invoke_id, .. }
            | Apdu::Abort { invoke_id, .. } => Some(invoke_id),
            Apdu::Unconfirmed { .. } | Apdu::Reserved(_) => None,
        }
    }
}

/// Read an APDU header found at `base` in the datagram.
pub fn apdu<'a>(data: &'a [u8], base: usize) -> Result<Apdu<'a>, BacnetError> {
    let at = located(base);
    let mut r = Reader::new(data);
    let first = r.u8("APDU type").map_err(&at)?;
    let pdu_type = PduType(first >> 4);
    let params = |r: &Reader<'a>| -> (&'a [u8], usize) { (r.rest(), base + r.offset()) };
    let segment = |r: &mut Reader<'_>| -> Result<Option<Segment>, BacnetError> {
        if first & 0x08 == 0 {
            return Ok(None);
        }
        Ok(Some(Segment {
            sequence: r.u8("sequence number").map_err(&at)?,
            window: r.u8("proposed window size").map_err(&at)?,
            more_follows: first & 0x04 != 0,
        }))
    };
    Ok(match pdu_type.0 {
        0 => {
            let limits = r.u8("max segments / max APDU").map_err(&at)?;
            let invoke_id = r.u8("invoke id").map_err(&at)?;
            let segment = segment(&mut r)?;
            let service = ConfirmedService(r.u8("service choice").map_err(&at)?);
            let (params, params_offset) = params(&r);
            Apdu::Confirmed {
                invoke_id,
                service,
                segmented_response_accepted: first & 0x02 != 0,
                max_segments: (limits >> 4) & 0x07,
                max_apdu: limits & 0x0f,
                segment,
                params,
                params_offset,
            }
        }
        1 => {
            let service = UnconfirmedService(r.u8("service choice").map_err(&at)?);
            let (params, params_offset) = params(&r);
            Apdu::Unconfirmed {
                service,
                params,
                params_offset,
            }
        }
        2 => Apdu::SimpleAck {
            invoke_id: r.u8("invoke id").map_err(&at)?,
            service: ConfirmedService(r.u8("service choice").map_err(&at)?),
        },
        3 => {
            let invoke_id = r.u8("invoke id").map_err(&at)?;
            let segment = segment(&mut r)?;
            let service = ConfirmedService(r.u8("service choice").map_err(&at)?);
            let (params, params_offset) = params(&r);
            Apdu::ComplexAck {
                invoke_id,
                service,
                segment,
                params,
                params_offset,
            }
        }
        4 => Apdu::SegmentAck {
            negative: first & 0x02 != 0,
            server: first & 0x01 != 0,
            invoke_id: r.u8("invoke id").map_err(&at)?,
            sequence: r.u8("sequence number").map_err(&at)?,
            window: r.u8("actual window size").map_err(&at)?,
        },
        5 => {
            let invoke_id = r.u8("invoke id").map_err(&at)?;
            let service = ConfirmedService(r.u8("service choice").map_err(&at)?);
            let (params, params_offset) = params(&r);
            Apdu::Error {
                invoke_id,
                service,
                params,
                params_offset,
            }
        }
        6 => Apdu::Reject {
            invoke_id: r.u8("invoke id").map_err(&at)?,
            reason: r.u8("reject reason").map_err(&at)?,
        },
        7 => Apdu::Abort {
            server: first & 0x01 != 0,
            invoke_id: r.u8("invoke id").map_err(&at)?,
            reason: r.u8("abort reason").map_err(&at)?,
        },
        _ => Apdu::Reserved(pdu_type),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Who-Is broadcast from the icsnpp-bacnet trace (J.2.11, 6.2, 16.10).
    const WHO_IS: [u8; 12] = [
        0x81, 0x0b, 0x00, 0x0c, // BVLC: BACnet/IP, Original-Broadcast-NPDU, length 12
        0x01, 0x20, // NPDU version 1, control: destination present
        0xff, 0xff, 0x00, // DNET 65535 (global broadcast), DLEN 0
        0xff, // hop count 255
        0x10, 0x08, // APDU: unconfirmed request, who-Is
    ];

    #[test]
    fn reads_a_global_broadcast_who_is() {
        let b = bvlc(&WHO_IS).expect("valid BVLC");
        assert_eq!(b.function, BvlcFunction(0x0b));
        assert_eq!(b.length_mismatch, None);
        let n = npdu(b.npdu.expect("an NPDU"), b.npdu_offset).expect("valid NPDU");
        assert_eq!(
            (n.dnet, n.dadr, n.hop_count),
            (Some(0xffff), &[][..], Some(255))
        );
        assert_eq!(n.message, None);
        let a = apdu(n.body, n.body_offset).expect("valid APDU");
        assert_eq!(
            a,
            Apdu::Unconfirmed {
                service: UnconfirmedService(8),
                params: &[],
                params_offset: 12
            }
        );
    }

    #[test]
    fn reads_the_originator_of_a_forwarded_npdu() {
        let forwarded = [
            0x81, 0x04, 0x00, 0x0c, // BVLC: Forwarded-NPDU, length 12 (J.2.9)
            0xc0, 0xa8, 0x01, 0x05, 0xba, 0xc0, // originated at 192.168.1.5:47808
            0x01, 0x00, // NPDU version 1, no addresses
        ];
        let b = bvlc(&forwarded).expect("valid");
        assert_eq!(
            b.origin,
            Some("192.168.1.5:47808".parse().expect("address"))
        );
        assert_eq!((b.npdu, b.npdu_offset), (Some(&[0x01, 0x00][..]), 10));
    }

    #[test]
    fn flags_a_bvlc_length_that_disagrees_and_reads_what_arrived() {
        let mut short = WHO_IS;
        short[3] = 0x40; // claims 64 bytes
        let b = bvlc(&short).expect("header still readable");
        assert_eq!(
            b.length_mismatch,
            Some(BacnetError::BvlcLength {
                claimed: 64,
                actual: 12
            })
        );
        assert_eq!(b.npdu.map(<[u8]>::len), Some(8));
        let mut long = WHO_IS;
        long[3] = 0x08; // claims 8 bytes of 12
        let b = bvlc(&long).expect("header readable");
        assert!(b.length_mismatch.is_some());
        assert_eq!(
            b.npdu.map(<[u8]>::len),
            Some(8),
            "the whole datagram is read"
        );
        assert_eq!(
            bvlc(&[0x82, 0x0a, 0x00, 0x04]),
            Err(BacnetError::BvlcType { found: 0x82 })
        );
    }

    #[test]
    fn reads_source_and_destination_specifiers() {
        let routed = [
            0x01, 0x28, // version 1, control: DNET and SNET present
            0x00, 0x05, 0x01, 0x07, // DNET 5, DLEN 1, DADR 7
            0x00, 0x02, 0x02, 0x0a, 0x0b, // SNET 2, SLEN 2, SADR 0a0b
            0x1e, // hop count 30
            0x10, 0x08, // who-Is
        ];
        let n = npdu(&routed, 4).expect("valid");
        assert_eq!((n.dnet, n.dadr), (Some(5), &[7u8][..]));
        assert_eq!((n.snet, n.sadr), (Some(2), &[0x0a, 0x0b][..]));
        assert_eq!((n.hop_count, n.body_offset), (Some(30), 16));
        let err = npdu(&routed[..8], 4).expect_err("cut inside SADR");
        assert_eq!(
            err,
            BacnetError::Truncated {
                field: "SLEN",
                offset: 12,
                needed: 1,
                available: 0
            }
        );
        assert_eq!(
            npdu(&[0x02, 0x00], 4),
            Err(BacnetError::NpduVersion {
                found: 2,
                offset: 4
            })
        );
    }

    #[test]
    fn reads_network_layer_messages() {
        let i_am_router = [
            0x01, 0x80, // version 1, network layer message
            0x01, // I-Am-Router-To-Network (6.4.2)
            0x00, 0x05, 0x00, 0x06, // networks 5 and 6
        ];
        let n = npdu(&i_am_router, 0).expect("valid");
        assert_eq!(n.message, Some(NetworkMessage::I_AM_ROUTER));
        let mut fields = NetworkFields::default();
        network_message(
            NetworkMessage::I_AM_ROUTER,
            n.body,
            n.body_offset,
            &mut fields,
        )
        .expect("valid");
        assert_eq!(fields.networks, vec![5, 6]);
        let mut fields = NetworkFields::default();
        network_message(NetworkMessage(0x13), &[0x00, 0x2a, 0x01], 0, &mut fields).expect("ok");
        assert_eq!(
            (fields.networks.as_slice(), fields.configured),
            (&[42u64][..], Some(true))
        );
    }

    #[test]
    fn reads_every_apdu_header() {
        // Confirmed request, SA set, max 1476, invoke 52, confirmedPrivateTransfer (20.1.2).
        let a = apdu(&[0x02, 0x05, 0x34, 0x12, 0x09], 6).expect("valid");
        assert!(matches!(
            a,
            Apdu::Confirmed {
                invoke_id: 0x34,
                service: ConfirmedService(18),
                segmented_response_accepted: true,
                max_apdu: 5,
                segment: None,
                params_offset: 10,
                ..
            }
        ));
        // Segmented complex ACK: sequence 0, window 4, more follows (20.1.5).
        let a = apdu(&[0x3c, 0x07, 0x00, 0x04, 0x0e], 0).expect("valid");
        assert!(matches!(
            a,
            Apdu::ComplexAck {
                segment: Some(Segment {
                    sequence: 0,
                    window: 4,
                    more_follows: true
                }),
                ..
            }
        ));
        assert_eq!(
            apdu(&[0x71, 0x01, 0x00], 0),
            Ok(Apdu::Abort {
                invoke_id: 1,
                server: true,
                reason: 0
            })
        );
        assert_eq!(
            apdu(&[0x60, 0x3a, 0x09], 0),
            Ok(Apdu::Reject {
                invoke_id: 0x3a,
                reason: 9
            })
        );
        assert_eq!(apdu(&[0xb0], 0), Ok(Apdu::Reserved(PduType(11))));
        assert!(matches!(
            apdu(&[0x00, 0x05], 3),
            Err(BacnetError::Truncated {
                field: "invoke id",
                offset: 5,
                ..
            })
        ));
    }
}
