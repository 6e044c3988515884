//! BACnet/IP (ASHRAE 135-2020 Annex J, clauses 6, 20 and 21), UDP 47808 and the usual
//! 47809–47823: the protocol of building automation controllers.
//!
//! Each datagram is a BVLC header, then for the NPDU-carrying functions an NPDU (network
//! header, then an APDU or a network layer message). Records, one per message or per
//! confirmed transaction:
//! - `confirmed_request`: a confirmed service request paired with its answer (SimpleACK,
//!   ComplexACK, Error, Reject, Abort) by invoke id, direction and peer BACnet address
//!   (`direction` none), or alone when unanswered (direction of the request), reported at the
//!   answer, at flow end, on a retry with the same invoke id, or when more than
//!   `max_transactions` wait. Fields: the header fields below, `pdu_type`, `pdu_type_code`,
//!   `invoke_id`, `service` (`read_property`, `write_property_multiple`, …), `service_choice`,
//!   `max_apdu` (octets), `max_segments`, `segmented_response_accepted`, segmentation
//!   (`segmented`, `sequence_number`, `window_size`, `more_follows`), the object
//!   (`object_type` `analog_input`…, `object_type_code`, `instance_number`), `property`
//!   (`present_value`…), `property_code`, `array_index`, `value` (rendered, a written value or
//!   the value read), `write_priority`, `item_count` (properties of a …Multiple request),
//!   `reinitialized_state`(+`_code`), `operation_code` (life safety), `enable_disable`
//!   (+`_code`), `duration_minutes`, `password_present`, `file_access` (`stream`/`record`),
//!   `file_start`, `file_count`, `process_id`, `vendor_id` (and `vendor`, its name), `service_number`; and from the
//!   answer `response_pdu_type`(+`_code`), `response_bvlc_function`(+`_code`),
//!   `response_service`(+`_choice`), `error_class`(+`_code`), `error` and `error_code`,
//!   `reject_reason`(+`_code`), `abort_reason`(+`_code`), `by_server`, `values` (items
//!   `object property[index] = value` or `… error class/code` of a ReadPropertyMultiple-ACK),
//!   `value_count`, `object_names` (object-name values read), `end_of_file`.
//! - `response`: an answer whose request was not seen, with the answer's fields unprefixed.
//! - `unconfirmed_request`: `service`, `service_choice`, and per service `low_limit`,
//!   `high_limit` (Who-Is, Who-Has), `device_instance`, `max_apdu_accepted`, `segmentation`
//!   (+`_code`), `vendor_id` (I-Am), the object fields and `object_name` (Who-Has, I-Have),
//!   `time` (time synchronisation), `process_id`, `write_priority` (WriteGroup),
//!   `service_number`, `event_type`, `to_state`, `message`, `model_name`, `serial_number`
//!   (Who-Am-I, You-Are), `values` and `item_count` (COV notifications).
//! - `segment` (a segment after the first of a segmented request or ACK, whose parameters
//!   cannot be read alone) and `segment_ack` (`sequence_number`, `window_size`, `negative`,
//!   `by_server`).
//! - `network_message`: `message_type`(+`_code`), `vendor_id`, `networks`, `reject_reason`
//!   (+`_code`), `performance_index`, `configured`.
//! - `bvlc`: BVLC messages without NPDU: `result`(+`_code`), `ttl`, `entries`.
//! - `reserved_pdu`: an APDU of a reserved type.
//!
//! Every record starts with `bvlc_function` (`original_unicast_npdu`…) and
//! `bvlc_function_code`, then `originating_address` of a Forwarded-NPDU and the NPDU's
//! `dnet`, `dadr`, `snet`, `sadr`, `hop_count` and `network_priority` when present.
//!
//! Activities: ReadProperty(Multiple/Conditional), ReadRange → read; WriteProperty(Multiple),
//! Add/RemoveListElement, WriteGroup → write; ReinitializeDevice → restart (start/end backup
//! → program_upload, start/end restore → program_download: the device's configuration leaves
//! or enters it; abortrestore → config_change); DeviceCommunicationControl, Create/DeleteObject, You-Are, Write-BDT,
//! Delete-FDT-Entry, Initialize-Routing-Table → config_change; AtomicRead/WriteFile →
//! file_transfer; (UTC)TimeSynchronization → time_sync; Who-Is, Who-Has,
//! Who-Is-Router-To-Network, What-Is-Network-Number → identify; SubscribeCOV(Property)
//! (Multiple) → monitor; AcknowledgeAlarm, LifeSafetyOperation → command (operator actions);
//! alarm, enrollment and event summaries, Read-BDT/FDT → diagnostics; VT-Open/Close →
//! session; Authenticate, RequestKey → authentication; Register-Foreign-Device → session.
//!
//! Identity, about the sender (the originator of a Forwarded-NPDU; nobody when the message
//! was routed from another BACnet network, since the IP sender is then a router): I-Am →
//! device type `building controller` (strong: controllers answer Who-Is, and so do some
//! workstations); ReadProperty(Multiple)-ACKs of a device object's vendor-name, model-name,
//! firmware-revision, application-software-version, object-name (host name), location,
//! description and serial-number → vendor, model, firmware, software, hostname, location,
//! description, serial (stated); Who-Am-I → model, serial; roles `bacnet router`
//! (I-Am-Router-To-Network) and `bacnet bbmd` (Forwarded-NPDU, Read-BDT/FDT-Ack, a successful
//! BVLC-Result to a registration); I-Am's vendor identifier → vendor, by the name ASHRAE
//! assigned it ([`crate::vendor_ids::bacnet`]). The password of ReinitializeDevice and
//! DeviceCommunicationControl is a `cleartext_credential` finding about the server
//! (`mechanism` `bacnet_password`, `service`, `accepted` when the answer tells), never the
//! password itself, once per flow, server and outcome.
//!
//! Anomalies: `truncated`, `unsupported_bvlc_type`, `bvlc_length_mismatch`,
//! `unknown_bvlc_function`, `bad_npdu_version`, `reserved_npdu_bits`, `bad_source_address`,
//! `bad_tag`, `nesting_too_deep`, `unbalanced_tags`, `unexpected_parameter`, `trailing_data`,
//! `unexpected_value_type` (a property whose datatype the standard fixes, such as
//! object-name or recipient-list, carrying another), `unknown_service`, `reserved_pdu_type`,
//! `expecting_reply_missing`, `service_mismatch`, `too_many_transactions`.
//!
//! Written by hand: the Rust BACnet crates are client/server stacks that decode what they
//! expect to receive and fail on the rest; a monitor must read every service leniently,
//! say where and why an encoding is wrong, bound every length and nesting depth (16), and
//! allocate nothing per message.

mod dissector;
mod message;
mod parse;
mod service;
mod tag;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The BACnet/IP flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "bacnet",
    transports: &[Transport::Udp],
    ports: &[
        47808, 47809, 47810, 47811, 47812, 47813, 47814, 47815, 47816, 47817, 47818, 47819, 47820,
        47821, 47822, 47823,
    ],
    probe,
    new: |_| Box::new(dissector::BacnetDissector::new(Limits::OT.max_transactions)),
    limits: Limits::OT,
};

/// Recognise a BVLC header whose length is the datagram's and, for NPDU-carrying functions,
/// an NPDU of version 1 after it.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let [parse::BVLC_IPV4, function, hi, lo, rest @ ..] = data else {
        return Probe::NotForUs;
    };
    let function = message::BvlcFunction(*function);
    if function.name().is_none() {
        return Probe::NotForUs;
    }
    let npdu = match function.0 {
        0x04 => rest.get(6),
        _ if function.carries_npdu() => rest.first(),
        _ => None,
    };
    let length_matches = usize::from(u16::from_be_bytes([*hi, *lo])) == data.len();
    match (length_matches, npdu) {
        (true, Some(1)) => Probe::Certain,
        (true, None) if !function.carries_npdu() => Probe::Certain,
        (false, _) | (_, None) => Probe::Unsure,
        (true, Some(_)) => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_the_bvlc_header() {
        let d = Direction::ToServer;
        let who_is = [
            0x81, 0x0b, 0x00, 0x0c, 0x01, 0x20, 0xff, 0xff, 0x00, 0xff, 0x10, 0x08,
        ];
        assert_eq!(probe(d, &who_is), Probe::Certain);
        assert_eq!(
            probe(d, &[0x81, 0x00, 0x00, 0x06, 0x00, 0x00]),
            Probe::Certain
        );
        let mut wrong_version = who_is;
        wrong_version[4] = 0x02;
        assert_eq!(probe(d, &wrong_version), Probe::NotForUs);
        let mut wrong_length = who_is;
        wrong_length[3] = 0x20;
        assert_eq!(probe(d, &wrong_length), Probe::Unsure);
        assert_eq!(probe(d, &[0x81, 0x0d, 0x00, 0x04]), Probe::NotForUs);
        assert_eq!(probe(d, b"GET / HTTP/1.1"), Probe::NotForUs);
        assert_eq!(probe(d, &[0x81]), Probe::NotForUs);
    }
}
