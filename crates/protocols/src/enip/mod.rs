//! EtherNet/IP (ODVA, *The CIP Networks Library* Vol. 2) on TCP and UDP 44818, the CIP
//! messages it carries (Vol. 1), Rockwell's Logix tag services and PCCC, and CIP class 0/1
//! implicit I/O on UDP 2222: the protocol of Rockwell/Allen-Bradley controllers and of most
//! North American industrial devices.
//!
//! **Records, protocol `enip`.** Requests are paired with their replies and reported once, as
//! a transaction (no direction): unconnected messages and every other encapsulation command by
//! command and sender context, connected (SendUnitData) messages by connection id and CIP
//! sequence count — the reply travels on the other connection id of the pair, learnt from the
//! Forward Open reply or, when that was before the capture, from the first reply that answers
//! a sequence count. A request still unanswered when the flow ends, or pushed out by more than
//! `max_transactions` outstanding ones, is reported alone (direction `request`); a reply that
//! matches nothing too (`response`). Kinds:
//! - `cip`: SendRRData and SendUnitData. Fields: `command_code`, `command`,
//!   `session_handle`, `enip_status_code`/`enip_status` (of the reply), `sender_context`
//!   (unconnected), `connection_id`, `reply_connection_id`, `sequence` (connected),
//!   `sockaddr_ot_ip`/`sockaddr_ot_port` and `sockaddr_to_ip`/`sockaddr_to_port` (socket
//!   address info items, where a Forward Open sets up UDP I/O); the
//!   request: `service_code`, `service` (names such as `get_attributes_all`,
//!   `multiple_service_packet`, `forward_open`, `read_tag`, `execute_pccc`; class-specific
//!   codes named by what they address), `class_id`, `class`, `instance_id`, `attribute_id`,
//!   `member_id`, `tag` (symbolic segments, `Program:Main.Speed[3]`); for a request carried by
//!   an Unconnected Send the embedded request's fields plus `unconnected_send`, `route`
//!   (`1/0`: port/link of each port segment), `route_port` and `slot` (the link address on
//!   backplane port 1); for a Multiple Service Packet `embedded_count`,
//!   `embedded_service_codes`, `embedded_services`, `tags` (at most 64 embedded services);
//!   for tag services `element_count`, `data_type`, `byte_offset`; for Forward Open/Close
//!   `ot_connection_id`, `to_connection_id`, `ot_rpi`, `to_rpi`, `transport_class`,
//!   `connection_serial`, `originator_vendor_id`, `originator_serial`, `connection_path`;
//!   for Execute PCCC `pccc_command_code`, `pccc_function_code`, `pccc_command`. The reply:
//!   `status_code`, `status` (general status), `extended_status` (with
//!   `extended_status_name` for Connection Manager failures), `reply_service_code` (when
//!   it is not the request's, as in an Unconnected Send failed at the router),
//!   `embedded_statuses` (and `embedded_reply_codes` when they do not answer the requests in
//!   order), `ot_api`/`to_api` and the connection ids the target chose, `pccc_status`, and for
//!   Get_Attributes_All of the Identity object `vendor_id`, `vendor` (the name ODVA
//!   assigned, from [`crate::vendor_ids::cip`]), `device_type_code`, `device_type`,
//!   `product_code`, `revision` (`4.03`), `device_status`, `serial` (`0x00524d8e`),
//!   `product_name`, `state`.
//! - `list_identity`, `list_services`, `list_interfaces`, `register_session`,
//!   `unregister_session`, `nop`, `indicate_status`, `cancel`, `start_dtls` and
//!   `unknown_command`: the encapsulation fields above, and for ListIdentity replies
//!   `item_count`, `encapsulation_version`, `socket_address`, `socket_port` and the identity
//!   fields; for ListServices `service_name` and `capability_flags`; for ListInterfaces
//!   `interface_count`; for RegisterSession `protocol_version` and `option_flags`.
//!
//! **Records, protocol `cip_io`** (UDP 2222): a record per I/O datagram would be a flood at
//! every requested packet interval, so only the first datagram of each connection id and
//! direction becomes a record (`io`: `connection_id`, `sequence`, `data_length`); the rest are
//! counted and reported when the flow ends (`io_summary`: `connection_id`, `packets`, `bytes`,
//! `first_sequence`, `last_sequence`). At most 32 connections are followed per flow; datagrams
//! of further ones are counted in one `io_untracked` record.
//!
//! **Activities.** Get services → `read` (`identify` on the Identity object); Set, Create,
//! Delete and Apply services → `write`, or `config_change` on the TCP/IP Interface (0xf5)
//! and Ethernet Link (0xf6) objects; Reset → `restart`; Start → `plc_start`; Stop →
//! `plc_stop`; Forward Open, Large Forward Open, Forward Close, RegisterSession and
//! UnRegisterSession → `session`; ListIdentity → `identify`; Logix Read Tag (0x4c) and Read
//! Tag Fragmented (0x52) → `read`; Write Tag (0x4d), Write Tag Fragmented (0x53) and Read
//! Modify Write Tag (0x4e) → `write` (1756-PM020); a Multiple Service Packet takes the most
//! consequential activity of its services; Execute PCCC by its command (1770-6.5.16 ch. 7):
//! reads and writes, diagnostic status → `identify`, change mode (0x0f/0x80) and set CPU mode
//! (0x0f/0x3a) → `mode_change`, download all request and download completed (0x0f/0x50,
//! 0x52) → `program_download`, upload all request and upload completed (0x0f/0x53, 0x55) →
//! `program_upload`. Logix program download and mode change through CIP use services that
//! Rockwell does not document publicly, so none is claimed for them.
//!
//! **Identity.** A ListIdentity reply identifies its sender (stated): product name as
//! `model`, `product_code`, revision as `firmware`, `serial`, and a `device_type` hint from
//! the device profile (`plc`, `communication adapter`, `io device`, `drive`, `hmi`, …). An
//! Identity object read (Get_Attributes_All, class 1) does the same for the server when it is
//! not routed; routed through an Unconnected Send over backplane port 1 it is an
//! `Event::Module` in the route's slot (kind `cpu`, `communication`, `io`, …, model, firmware,
//! serial), and slot 0, where a chassis's controller sits, also identifies the server with
//! strong rather than stated confidence, since the answering adapter may sit elsewhere.
//! The vendor id names the vendor (identity `vendor`) through the embedded ODVA table.
//!
//! **Anomalies:** `truncated`, `bad_length`, `bad_path_segment`, `bad_service_offset`,
//! `missing_item`, `unknown_item`, `lost_sync`, `nonzero_options`, `unknown_command`, `unexpected_reply`,
//! `too_many_services`, `reply_service_mismatch`, `too_many_transactions`;
//! `too_many_connections` for `cip_io`.
//!
//! **Why hand-written.** No maintained, permissively licensed Rust crate parses EtherNet/IP
//! and CIP passively: the `rseip` family is a client that builds requests and trusts the
//! replies of the device it talks to, and none of the crates reports where or why a message
//! is malformed. This module reads both directions leniently, bounds every list (items,
//! embedded services, path texts) and allocates nothing per message once its buffers exist.

mod dissector;
mod io;
mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use message::{Command, Fit, encap_status_name, length_fits};
use parse::{HEADER_LEN, Header};

/// The EtherNet/IP flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: dissector::PROTOCOL,
    transports: &[Transport::Tcp, Transport::Udp],
    ports: &[44818],
    probe,
    new: |transport| {
        Box::new(dissector::EnipDissector::new(
            transport,
            Limits::OT.max_transactions,
        ))
    },
    // Controllers are polled for the life of the plant.
    limits: Limits::OT,
};

/// CIP class 0/1 implicit I/O.
pub static IO_REGISTRATION: Registration = Registration {
    name: io::PROTOCOL,
    transports: &[Transport::Udp],
    ports: &[2222],
    probe: probe_io,
    new: |_| Box::<io::IoDissector>::default(),
    limits: Limits::OT,
};

/// Recognise an encapsulation header: a known command with zero options whose length fits
/// what the command carries. A NOP or a header whose length runs past the bytes seen is only
/// plausible: eight zero bytes open many binary protocols (a Modbus request with transaction
/// id 0 reads as a NOP).
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let Ok(h) = Header::read(data) else {
        return match data {
            [lo, 0, ..] if Command(u16::from(*lo)).name().is_some() => Probe::Unsure,
            _ => Probe::NotForUs,
        };
    };
    // Options must be zero (Vol. 2 §2-3.1); a status the specification does not assign is
    // some other protocol's bytes.
    if h.options != 0 || encap_status_name(h.status).is_none() {
        return Probe::NotForUs;
    }
    let Some(shape) = length_fits(h.command, h.length) else {
        return Probe::NotForUs;
    };
    let end = HEADER_LEN + usize::from(h.length);
    let next_is_header = || {
        data.get(end..)
            .and_then(|rest| Header::read(rest).ok())
            .is_some_and(|n| n.options == 0 && n.command.name().is_some())
    };
    let whole = end == data.len() || (end < data.len() && next_is_header());
    match (shape, whole) {
        (Fit::Strong, true) => Probe::Certain,
        (Fit::Strong | Fit::Weak, _) => Probe::Unsure,
    }
}

/// Recognise a class 0/1 datagram: a sequenced address item of 8 bytes comes first.
fn probe_io(_dir: Direction, data: &[u8]) -> Probe {
    match data {
        [count, 0x00, 0x02, 0x80, 0x08, 0x00, ..] if (1..=4).contains(count) => Probe::Certain,
        _ => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(command: u16, length: u16, options: u32) -> Vec<u8> {
        let mut h = command.to_le_bytes().to_vec();
        h.extend_from_slice(&length.to_le_bytes());
        h.extend_from_slice(&[0; 16]); // session, status, context
        h.extend_from_slice(&options.to_le_bytes());
        h
    }

    #[test]
    fn probes_the_encapsulation_header() {
        let d = Direction::ToServer;
        assert_eq!(probe(d, &header(0x63, 0, 0)), Probe::Certain);
        let mut register = header(0x65, 4, 0);
        register.extend_from_slice(&[1, 0, 0, 0]);
        assert_eq!(probe(d, &register), Probe::Certain);
        assert_eq!(
            probe(d, &header(0x6f, 40, 0)),
            Probe::Unsure,
            "segment split"
        );
        assert_eq!(probe(d, &header(0x63, 0, 1)), Probe::NotForUs, "options");
        assert_eq!(
            probe(d, &header(0x01, 0, 0)),
            Probe::Unsure,
            "unknown command"
        );
        assert_eq!(probe(d, &[0x65, 0x00, 0x04]), Probe::Unsure);
        assert_eq!(
            probe(d, b"GET / HTTP/1.1\r\n\r\nxxxxxxxxxx"),
            Probe::NotForUs
        );
        assert_eq!(probe(d, &[]), Probe::NotForUs);
    }

    #[test]
    fn probes_io_datagrams() {
        let d = Direction::ToServer;
        assert_eq!(
            probe_io(d, &[0x02, 0x00, 0x02, 0x80, 0x08, 0x00, 1, 2]),
            Probe::Certain
        );
        assert_eq!(probe_io(d, &[0x02, 0x00, 0xb1, 0x00]), Probe::NotForUs);
    }
}
