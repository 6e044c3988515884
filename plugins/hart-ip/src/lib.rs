//! HART-IP (HCF_SPEC-085), UDP and TCP 5094, as a Rampart WebAssembly plugin.
//!
//! HART-IP carries HART field-device commands over IP: the way asset-management systems and
//! wireless gateways read, configure and reset transmitters and valve positioners. It is the
//! worked example of the plugin interface (docs/plugins.md), and a real dissector: a HART
//! device reset or a write of its polling address from an unexpected host is what a security
//! team wants to see.
//!
//! One record per message, kind `message`, direction as sent: `version`, `message_type` (+
//! `message_type_name`: request, response, publish, error, nak), `message_id` (+
//! `message_id_name`: session_initiate, session_close, keep_alive, pass_through, direct_pdu,
//! read_audit_log), `status`, `sequence`, `byte_count`; a session initiate adds `master_type`
//! (1 primary, 0 secondary) and `inactivity_timer` (ms); a pass-through PDU adds the HART frame:
//! `frame` (`short`/`long` address), `frame_type` (`stx` request, `ack` response, `back`
//! burst), `address` (hex), `command` (+ `command_name`), `data_length`, and in responses
//! `response_code` and `device_status`. Reads are `read`, writes `write`, command 0/11/21
//! `identify`, 42 (device reset) `restart`.
//!
//! Identity of the server (the device or gateway) from command 0 (read unique identifier):
//! `product_code` (expanded device type), `firmware` (software revision), `hardware_version`,
//! `serial` (device id); from command 20 (long tag) and 13 (tag, packed ASCII): `hostname`.
//! Record fields `manufacturer_id` and `device_type` keep the raw codes.
//!
//! Anomalies: `bad_version`, `bad_byte_count` (shorter than the header, or beyond the
//! datagram), `truncated_pdu`, `bad_checksum` (the HART longitudinal parity), `unknown_message`.
//! Parsing is bounded by the byte counts checked against the bytes present; nothing allocates.

use rampart_plugin_sdk::{
    Direction, Feed, Flow, Plugin, Probe, Subject, Transport, anomaly, export_plugin, identity,
    record,
};

/// The HART-IP header: version, type, id, status, sequence (2), byte count (2).
const HEADER: usize = 8;
/// The longest message accepted; the spec's buffers are far smaller.
const MAX_MESSAGE: usize = 8192;

/// The example plugin.
pub struct HartIp;

impl Plugin for HartIp {
    const MANIFEST: &'static str = r#"{
        "name": "hart_ip",
        "version": "0.1.0",
        "description": "HART-IP: HART field-device commands over UDP and TCP",
        "transports": ["udp", "tcp"],
        "ports": [5094],
        "records": ["message"],
        "fields": ["version", "message_type", "message_type_name", "message_id",
                   "message_id_name", "status", "sequence", "byte_count", "master_type",
                   "inactivity_timer", "frame", "frame_type", "address", "command",
                   "command_name", "data_length", "response_code", "device_status",
                   "manufacturer_id", "device_type", "tag"],
        "identity": ["product_code", "firmware", "hardware_version", "serial", "hostname"]
    }"#;

    type Flow = HartIpFlow;

    fn probe(_dir: Direction, data: &[u8]) -> Probe {
        let Some(header) = Header::parse(data) else {
            return if data.len() < HEADER {
                Probe::Unsure
            } else {
                Probe::NotForUs
            };
        };
        let plausible = matches!(header.version, 1 | 2)
            && matches!(header.message_type, 0..=3 | 15)
            && header.message_id <= 5
            && (HEADER..=MAX_MESSAGE).contains(&header.byte_count);
        match (plausible, data.len() >= header.byte_count) {
            (true, true) => Probe::Certain,
            (true, false) => Probe::Unsure,
            (false, _) => Probe::NotForUs,
        }
    }

    fn open(transport: Transport) -> HartIpFlow {
        HartIpFlow { transport }
    }
}

export_plugin!(HartIp);

/// Per-flow state: HART-IP needs none beyond framing, which the host buffers.
pub struct HartIpFlow {
    transport: Transport,
}

impl Flow for HartIpFlow {
    fn feed(&mut self, dir: Direction, data: &[u8]) -> Feed {
        match self.transport {
            Transport::Udp => {
                message(dir, data, true);
                Feed::Consumed(data.len())
            }
            Transport::Tcp => stream(dir, data),
        }
    }
}

/// Parse every whole message of a TCP stream chunk.
fn stream(dir: Direction, data: &[u8]) -> Feed {
    let mut at = 0;
    while let Some(rest) = data.get(at..) {
        let Some(header) = Header::parse(rest) else {
            break;
        };
        if !(HEADER..=MAX_MESSAGE).contains(&header.byte_count) {
            anomaly(
                "bad_byte_count",
                Some(at + 6),
                &format!(
                    "byte count {} outside {HEADER}..={MAX_MESSAGE}",
                    header.byte_count
                ),
            );
            return Feed::LostSync;
        }
        let Some(whole) = rest.get(..header.byte_count) else {
            break;
        };
        message(dir, whole, false);
        at += header.byte_count;
    }
    Feed::Consumed(at)
}

/// The fixed header of every HART-IP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    version: u8,
    message_type: u8,
    message_id: u8,
    status: u8,
    sequence: u16,
    byte_count: usize,
}

impl Header {
    fn parse(data: &[u8]) -> Option<Header> {
        let h: &[u8; HEADER] = data.get(..HEADER)?.try_into().ok()?;
        Some(Header {
            version: h[0],
            message_type: h[1],
            message_id: h[2],
            status: h[3],
            sequence: u16::from_be_bytes([h[4], h[5]]),
            byte_count: usize::from(u16::from_be_bytes([h[6], h[7]])),
        })
    }
}

fn message_type_name(code: u8) -> &'static str {
    match code {
        0 => "request",
        1 => "response",
        2 => "publish",
        3 => "error",
        15 => "nak",
        _ => "unknown",
    }
}

fn message_id_name(code: u8) -> &'static str {
    match code {
        0 => "session_initiate",
        1 => "session_close",
        2 => "keep_alive",
        3 => "pass_through",
        4 => "direct_pdu",
        5 => "read_audit_log",
        _ => "unknown",
    }
}

/// Report one whole message (`datagram`: it is all of a UDP payload, so its byte count
/// must match).
fn message(dir: Direction, data: &[u8], datagram: bool) {
    let Some(header) = Header::parse(data) else {
        anomaly(
            "bad_byte_count",
            Some(0),
            &format!(
                "{} bytes, shorter than the {HEADER}-byte header",
                data.len()
            ),
        );
        return;
    };
    if !matches!(header.version, 1 | 2) {
        anomaly(
            "bad_version",
            Some(0),
            &format!("version {}", header.version),
        );
    }
    let body_end = header.byte_count.min(data.len());
    if header.byte_count < HEADER || (datagram && header.byte_count != data.len()) {
        anomaly(
            "bad_byte_count",
            Some(6),
            &format!(
                "byte count {} but the datagram holds {}",
                header.byte_count,
                data.len()
            ),
        );
    }
    let body = data.get(HEADER..body_end).unwrap_or_default();
    let direction = match header.message_type {
        0 => Direction::ToServer,
        1 | 3 | 15 => Direction::ToClient,
        _ => dir,
    };
    let r = record("message", Some(direction))
        .u64("version", header.version.into())
        .u64("message_type", header.message_type.into())
        .str("message_type_name", message_type_name(header.message_type))
        .u64("message_id", header.message_id.into())
        .str("message_id_name", message_id_name(header.message_id))
        .u64("status", header.status.into())
        .u64("sequence", header.sequence.into())
        .u64("byte_count", header.byte_count as u64);
    match header.message_id {
        0 => session_initiate(r, body),
        3 | 4 => pdu(r, body, direction),
        1 | 2 | 5 => r.emit(),
        other => {
            r.emit();
            anomaly("unknown_message", Some(2), &format!("message id {other}"));
        }
    }
}

fn session_initiate(r: rampart_plugin_sdk::RecordBuilder, body: &[u8]) {
    match body {
        [master, a, b, c, d, ..] => r
            .u64("master_type", (*master).into())
            .u64(
                "inactivity_timer",
                u32::from_be_bytes([*a, *b, *c, *d]).into(),
            )
            .action("session")
            .emit(),
        _ => r.action("session").emit(),
    }
}

/// A HART frame (HART token-passing data link layer, HCF_SPEC-081): delimiter, address,
/// expansion bytes, command, byte count, data, longitudinal parity.
struct Frame<'a> {
    long: bool,
    frame_type: u8,
    address: &'a [u8],
    command: u8,
    data: &'a [u8],
    checksum_ok: bool,
}

impl<'a> Frame<'a> {
    /// Parse a frame, or say at which offset it is cut short.
    fn parse(pdu: &'a [u8]) -> Result<Frame<'a>, usize> {
        let delimiter = *pdu.first().ok_or(0usize)?;
        let long = delimiter & 0x80 != 0;
        let expansion = usize::from((delimiter >> 5) & 0x03);
        let address_len = if long { 5 } else { 1 };
        let address = pdu.get(1..1 + address_len).ok_or(1usize)?;
        let at = 1 + address_len + expansion;
        let command = *pdu.get(at).ok_or(at)?;
        let count = usize::from(*pdu.get(at + 1).ok_or(at + 1)?);
        let data = pdu.get(at + 2..at + 2 + count).ok_or(at + 2)?;
        let end = at + 2 + count;
        let checksum = *pdu.get(end).ok_or(end)?;
        let parity = pdu[..end].iter().fold(0u8, |acc, b| acc ^ b);
        Ok(Frame {
            long,
            frame_type: delimiter & 0x07,
            address,
            command,
            data,
            checksum_ok: parity == checksum,
        })
    }
}

fn frame_type_name(code: u8) -> &'static str {
    match code {
        1 => "back",
        2 => "stx",
        6 => "ack",
        _ => "unknown",
    }
}

/// HART universal and common-practice commands: (number, name, action).
const COMMANDS: &[(u8, &str, &str)] = &[
    (0, "read_unique_identifier", "identify"),
    (1, "read_primary_variable", "read"),
    (2, "read_loop_current_and_percent_of_range", "read"),
    (3, "read_dynamic_variables_and_loop_current", "read"),
    (6, "write_polling_address", "write"),
    (7, "read_loop_configuration", "read"),
    (8, "read_dynamic_variable_classifications", "read"),
    (9, "read_device_variables_with_status", "read"),
    (11, "read_unique_identifier_associated_with_tag", "identify"),
    (12, "read_message", "read"),
    (13, "read_tag_descriptor_date", "read"),
    (14, "read_primary_variable_transducer_information", "read"),
    (15, "read_device_information", "read"),
    (16, "read_final_assembly_number", "read"),
    (17, "write_message", "write"),
    (18, "write_tag_descriptor_date", "write"),
    (19, "write_final_assembly_number", "write"),
    (20, "read_long_tag", "read"),
    (
        21,
        "read_unique_identifier_associated_with_long_tag",
        "identify",
    ),
    (22, "write_long_tag", "write"),
    (33, "read_device_variables", "read"),
    (34, "write_primary_variable_damping_value", "write"),
    (35, "write_primary_variable_range_values", "write"),
    (38, "reset_configuration_changed_flag", "write"),
    (40, "enter_exit_fixed_current_mode", "command"),
    (41, "perform_self_test", "diagnostics"),
    (42, "perform_device_reset", "restart"),
    (44, "write_primary_variable_units", "write"),
    (48, "read_additional_device_status", "diagnostics"),
    (59, "write_number_of_response_preambles", "write"),
];

fn pdu(r: rampart_plugin_sdk::RecordBuilder, body: &[u8], direction: Direction) {
    let frame = match Frame::parse(body) {
        Ok(frame) => frame,
        Err(offset) => {
            r.emit();
            anomaly(
                "truncated_pdu",
                Some(HEADER + offset),
                &format!(
                    "HART frame of {} bytes cut short at offset {offset}",
                    body.len()
                ),
            );
            return;
        }
    };
    let known = COMMANDS.iter().find(|(c, ..)| *c == frame.command);
    let mut r = r
        .str("frame", if frame.long { "long" } else { "short" })
        .str("frame_type", frame_type_name(frame.frame_type))
        .bytes("address", frame.address)
        .u64("command", frame.command.into())
        .str("command_name", known.map_or("unknown", |(_, name, _)| name))
        .u64("data_length", frame.data.len() as u64);
    let response = direction == Direction::ToClient;
    let payload = if response {
        if let [code, status, ..] = frame.data {
            r = r
                .u64("response_code", (*code).into())
                .u64("device_status", (*status).into());
        }
        frame.data.get(2..).unwrap_or_default()
    } else {
        frame.data
    };
    if response {
        r = describe_device(r, frame.command, payload);
    }
    if let Some((.., action)) = known {
        r = r.action(action);
    }
    r.emit();
    if !frame.checksum_ok {
        anomaly(
            "bad_checksum",
            Some(HEADER + body.len().saturating_sub(1)),
            "HART longitudinal parity does not match the frame",
        );
    }
}

/// Read identity out of a command 0, 13 or 20 response.
fn describe_device(
    r: rampart_plugin_sdk::RecordBuilder,
    command: u8,
    data: &[u8],
) -> rampart_plugin_sdk::RecordBuilder {
    match (command, data) {
        (
            0 | 11 | 21,
            [
                254,
                a,
                b,
                _,
                rev,
                _device_rev,
                software,
                hardware,
                _,
                d0,
                d1,
                d2,
                rest @ ..,
            ],
        ) => {
            // HART 7 puts a 16-bit expanded device type in bytes 1-2 and the manufacturer
            // code in bytes 17-18; earlier revisions put manufacturer and type in bytes 1, 2.
            let (manufacturer, device_type) = match (rev, rest.get(5..7)) {
                (7.., Some([m0, m1])) => {
                    (u16::from_be_bytes([*m0, *m1]), u16::from_be_bytes([*a, *b]))
                }
                _ => (u16::from(*a), u16::from(*b)),
            };
            identity(
                Subject::Server,
                "product_code",
                &format!("0x{device_type:04x}"),
                90,
            );
            identity(Subject::Server, "firmware", &software.to_string(), 90);
            identity(
                Subject::Server,
                "hardware_version",
                &(hardware >> 3).to_string(),
                90,
            );
            identity(
                Subject::Server,
                "serial",
                &format!("{d0:02x}{d1:02x}{d2:02x}"),
                90,
            );
            r.u64("manufacturer_id", manufacturer.into())
                .u64("device_type", device_type.into())
        }
        (13, [t0, t1, t2, t3, t4, t5, ..]) => {
            let mut tag = [0u8; 8];
            let tag = packed_ascii(&[*t0, *t1, *t2, *t3, *t4, *t5], &mut tag);
            if !tag.is_empty() {
                identity(Subject::Server, "hostname", tag, 90);
            }
            r.str("tag", tag)
        }
        (20, long_tag) if !long_tag.is_empty() => {
            let tag = latin1_trimmed(long_tag);
            if !tag.is_empty() {
                identity(Subject::Server, "hostname", &tag, 90);
            }
            r.str("tag", &tag)
        }
        _ => r,
    }
}

/// Decode HART packed ASCII (four 6-bit characters in three bytes) into `out`, trimmed.
fn packed_ascii<'a>(bytes: &[u8; 6], out: &'a mut [u8; 8]) -> &'a str {
    for (group, chunk) in bytes.chunks(3).enumerate() {
        let bits = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for i in 0..4 {
            let six = ((bits >> (18 - 6 * i)) & 0x3f) as u8;
            out[group * 4 + i] = if six < 0x20 { six + 0x40 } else { six };
        }
    }
    std::str::from_utf8(out).unwrap_or_default().trim_end()
}

/// Text of a Latin-1 field padded with NULs or spaces.
fn latin1_trimmed(bytes: &[u8]) -> String {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    text.trim_end_matches(['\0', ' ']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_plugin_sdk::testing::take_lines;

    /// A pass-through request for command 0 to a long address (HCF_SPEC-085 §10.3).
    const READ_UNIQUE_ID: &[u8] = &[
        0x01, // version 1
        0x00, // message type: request
        0x03, // message id: pass through
        0x00, // status
        0x00, 0x03, // sequence 3
        0x00, 0x11, // byte count 17
        0x82, // delimiter: long address, STX
        0x26, 0x4e, 0x00, 0x00, 0xd2, // address
        0x00, // command 0
        0x00, // byte count 0
        0x38, // longitudinal parity
    ];

    /// Its response: response code 0, device status 0xd0, the unique identifier.
    const UNIQUE_ID: &[u8] = &[
        0x01, 0x01, 0x03, 0x00, 0x00, 0x03, 0x00, 0x29, // header: response, 41 bytes
        0x86, // delimiter: long address, ACK
        0x26, 0x4e, 0x00, 0x00, 0xd2, // address
        0x00, // command 0
        0x18, // byte count 24
        0x00, 0xd0, // response code, device status
        0xfe, // 254
        0x26, 0x4e, // expanded device type
        0x05, 0x07, 0x04, 0x01, // preambles, HART 7, device rev 4, software rev 1
        0x0e, 0x0c, // hardware rev 1 / signalling 6, flags
        0x00, 0x00, 0xd2, // device id
        0x05, 0x02, 0x00, 0x02, 0xd0, // preambles, max variables, config counter, status
        0x00, 0x26, // manufacturer 0x0026
        0x00, 0x26, 0x84, // distributor, profile
        0xe4, // longitudinal parity
    ];

    fn feed(transport: Transport, dir: Direction, data: &[u8]) -> (Feed, Vec<String>) {
        let mut flow = HartIp::open(transport);
        let answer = flow.feed(dir, data);
        (answer, take_lines())
    }

    #[test]
    fn names_a_pass_through_request_and_its_command() {
        let (_, lines) = feed(Transport::Udp, Direction::ToServer, READ_UNIQUE_ID);
        assert_eq!(
            lines,
            vec![
                r#"record message request version=1 message_type=0 message_type_name="request" message_id=3 message_id_name="pass_through" status=0 sequence=3 byte_count=17 frame="long" frame_type="stx" address="264e0000d2" command=0 command_name="read_unique_identifier" data_length=0 action="identify""#
            ]
        );
    }

    #[test]
    fn reads_device_identity_from_a_command_zero_response() {
        let (_, lines) = feed(Transport::Udp, Direction::ToClient, UNIQUE_ID);
        assert_eq!(
            &lines[..4],
            &[
                "identity server product_code 0x264e",
                "identity server firmware 1",
                "identity server hardware_version 1",
                "identity server serial 0000d2",
            ]
        );
        assert!(
            lines[4].contains("response_code=0 device_status=208"),
            "{}",
            lines[4]
        );
        assert!(
            lines[4].contains("manufacturer_id=38 device_type=9806"),
            "{}",
            lines[4]
        );
        assert_eq!(lines.len(), 5, "a good checksum is no anomaly");
    }

    #[test]
    fn frames_pipelined_tcp_messages_and_keeps_a_partial_one() {
        let mut stream_bytes = READ_UNIQUE_ID.to_vec();
        stream_bytes.extend_from_slice(&READ_UNIQUE_ID[..5]);
        let (answer, lines) = feed(Transport::Tcp, Direction::ToServer, &stream_bytes);
        assert_eq!(answer, Feed::Consumed(READ_UNIQUE_ID.len()));
        assert_eq!(lines.len(), 1);
    }

    #[test]
    fn reports_a_bad_checksum_and_a_lying_byte_count() {
        let mut bad = READ_UNIQUE_ID.to_vec();
        bad[16] ^= 0xff;
        let (_, lines) = feed(Transport::Udp, Direction::ToServer, &bad);
        assert!(
            lines[1].starts_with("anomaly bad_checksum @16"),
            "{lines:?}"
        );
        let mut short = READ_UNIQUE_ID.to_vec();
        short[7] = 0x40;
        let (_, lines) = feed(Transport::Udp, Direction::ToServer, &short);
        assert!(
            lines[0].starts_with("anomaly bad_byte_count @6"),
            "{lines:?}"
        );
        let (answer, lines) = feed(
            Transport::Tcp,
            Direction::ToServer,
            &[1, 0, 3, 0, 0, 1, 0, 2],
        );
        assert_eq!(answer, Feed::LostSync);
        assert!(lines[0].starts_with("anomaly bad_byte_count"), "{lines:?}");
    }

    #[test]
    fn survives_every_truncation_of_a_response() {
        for end in 0..UNIQUE_ID.len() {
            let _ = feed(Transport::Udp, Direction::ToClient, &UNIQUE_ID[..end]);
            let _ = feed(Transport::Tcp, Direction::ToClient, &UNIQUE_ID[..end]);
        }
    }

    #[test]
    fn decodes_packed_ascii_tags() {
        let mut out = [0u8; 8];
        let bytes = pack("FT-101  ");
        assert_eq!(packed_ascii(&bytes, &mut out), "FT-101");
    }

    /// Pack eight 6-bit characters, the inverse of [`packed_ascii`], for the test.
    fn pack(text: &str) -> [u8; 6] {
        let six: Vec<u32> = text.bytes().map(|b| u32::from(b & 0x3f)).collect();
        let mut out = [0u8; 6];
        for group in 0..2 {
            let bits = six[group * 4..group * 4 + 4]
                .iter()
                .fold(0u32, |acc, s| (acc << 6) | s);
            out[group * 3..group * 3 + 3].copy_from_slice(&bits.to_be_bytes()[1..]);
        }
        out
    }

    #[test]
    fn probes_by_header_shape() {
        assert_eq!(
            HartIp::probe(Direction::ToServer, READ_UNIQUE_ID),
            Probe::Certain
        );
        assert_eq!(
            HartIp::probe(Direction::ToServer, &READ_UNIQUE_ID[..4]),
            Probe::Unsure
        );
        assert_eq!(
            HartIp::probe(Direction::ToServer, b"GET / HTTP/1.1\r\n"),
            Probe::NotForUs
        );
    }
}
