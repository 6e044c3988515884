//! MQTT 3.1 ("MQIsdp", level 3), 3.1.1 (level 4) and 5.0 (level 5), TCP 1883: the
//! publish/subscribe protocol of IIoT sensors, gateways and SCADA-to-cloud bridges.
//!
//! Records: one per control packet, direction as sent, kind the packet type (`connect`,
//! `connack`, `publish`, `puback`, `pubrec`, `pubrel`, `pubcomp`, `subscribe`, `suback`,
//! `unsubscribe`, `unsuback`, `pingreq`, `pingresp`, `disconnect`, `auth`). Every record has
//! `msg_type` (the raw type) and `tls` (`false`: MQTT over TLS on 8883 is a TLS flow, whose
//! records say `application: mqtt`). Per type:
//! - `connect`: `protocol_name`, `protocol_version` (the level), `connect_flags`,
//!   `clean_session`, `keep_alive`, `client_id`, `username_flag`, `username`, `password_flag`
//!   (the password itself is never kept), `will_flag`, `will_qos`, `will_retain`,
//!   `will_topic`, `will_payload_size`;
//! - `connack`: `session_present`, `return_code`, `return_code_name` (3.1.1 return codes, or
//!   MQTT 5 reason codes);
//! - `publish`: `dup`, `qos`, `retain`, `topic`, `packet_id`, `payload_size` (the payload is
//!   neither kept nor buffered: the record is written once the topic is in, and the message
//!   is passed over as it streams by);
//! - `puback`, `pubrec`, `pubrel`, `pubcomp`: `packet_id`, and in MQTT 5 `reason_code`,
//!   `reason`; `disconnect` and `auth`: `reason_code`, `reason` when present;
//! - `subscribe`, `unsubscribe`: `packet_id`, `topics` (the first 64 filters), `topic_qos`
//!   (requested QoS per filter), `wildcard` (a `#` or `+` filter), `sys_topic` (a `$SYS`
//!   filter); `suback`, `unsuback`: `packet_id`, `return_codes`, `return_code_names`.
//!
//! MQTT 5 properties are skipped by their length, never walked beyond it. A flow picked up
//! without its CONNECT is read as level 4.
//!
//! Activity: a CONNECT with a user name or password is authentication, one without a
//! session. Findings: a CONNECT carrying a password is a `cleartext_credential` against the
//! broker, with the user name and client id. Identity: the server is an `mqtt broker`, the
//! client an `mqtt client` (role, once per side). Anomalies: `bad_header`, `resynchronised`,
//! `bad_flags`, `truncated_packet`, `bad_variable_integer`, `trailing_data`, `bad_utf8`,
//! `unknown_protocol_version`, `reserved_connect_flag`, `password_without_username`,
//! `packet_not_in_version`.
//!
//! Hand-written: `mqttbytes` and `mqtt-v5` decode for a client or broker (owned packets,
//! errors without offsets, payloads buffered whole), which a passive monitor that must read
//! any version, keep going past a malformed packet and never hold a 256 MB payload cannot
//! use. The reader here is bounded by the packet's remaining length and allocates only the
//! reused topic buffer.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The MQTT flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "mqtt",
    transports: &[Transport::Tcp],
    ports: &[1883],
    probe,
    new: |_| Box::<dissector::MqttDissector>::default(),
    // Sensors keep one connection for months; every PUBLISH may matter.
    limits: Limits::OT,
};

/// Recognise a CONNECT by its protocol name; any other well-formed packet that ends the data
/// or is followed by another is only plausible.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let header = match parse::fixed_header(data) {
        Ok(Some(h)) => h,
        Ok(None) if data.first().is_some_and(|&b| b >> 4 != 0) => return Probe::Unsure,
        _ => return Probe::NotForUs,
    };
    if header.kind == message::PacketType::CONNECT && header.flags == 0 {
        let name = data.get(header.len..).unwrap_or_default();
        const NAMES: [&[u8]; 2] = [b"\x00\x04MQTT", b"\x00\x06MQIsdp"];
        if NAMES.iter().any(|n| name.starts_with(n)) {
            return Probe::Certain;
        }
        let partial = NAMES.iter().any(|n| n.starts_with(name));
        return if partial {
            Probe::Unsure
        } else {
            Probe::NotForUs
        };
    }
    let Some(total) = parse::plausible(data) else {
        return Probe::NotForUs;
    };
    match data.get(total..) {
        None | Some([]) => Probe::Unsure,
        Some(next) if parse::plausible(next).is_some() => Probe::Unsure,
        Some(_) => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_a_connect_by_its_protocol_name() {
        let d = Direction::ToServer;
        let v311 = [0x10, 0x10, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02];
        assert_eq!(probe(d, &v311), Probe::Certain);
        let v31 = [
            0x10, 0x12, 0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', 0x03,
        ];
        assert_eq!(probe(d, &v31), Probe::Certain);
        assert_eq!(probe(d, &[0x10, 0x10, 0x00]), Probe::Unsure);
        assert_eq!(
            probe(d, &[0x10, 0x10, 0x00, 0x04, b'H', b'T', b'T', b'P']),
            Probe::NotForUs
        );
        // A CONNACK (spec §3.2) of a flow picked up mid-stream: the port decides.
        assert_eq!(
            probe(Direction::ToClient, &[0x20, 0x02, 0x00, 0x00]),
            Probe::Unsure
        );
        assert_eq!(probe(d, b"GET / HTTP/1.1\r\n"), Probe::NotForUs);
        assert_eq!(probe(d, &[0x00, 0x00]), Probe::NotForUs);
    }
}
