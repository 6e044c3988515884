//! Modbus/TCP (Modbus Application Protocol Specification V1.1b3; Modbus Messaging on TCP/IP
//! Implementation Guide V1.0b), TCP 502, with Schneider Electric's UMAS in function 90.
//!
//! Framing: the MBAP header's length delimits each ADU, so several ADUs in one segment and
//! one ADU across segments are both read. After a gap or a header that is not Modbus
//! (`bad_header`) a direction is unsynchronised: it takes up again at the first header that
//! is confirmed by the end of the data or by the next header, and says how many bytes it
//! skipped (`resynchronised`).
//!
//! Records: one per transaction, paired by transaction id and unit id (`direction` none),
//! kind the function's name (`read_holding_registers`, `write_single_coil`, `umas`, …) or,
//! for codes the spec does not name, `reserved_function`, `user_defined_function` or
//! `unknown_function`. A request whose response never came (flow end, the id reused by a
//! later request, more than `max_transactions` outstanding) is a `request` record; a
//! response without its request a `response` record. Fields:
//! - always: `tid`, `unit_id`, `function_code` (without the exception bit, as tshark counts
//!   it), `function` (the name, or `0x5a (unknown)`, `0x09 (reserved)`, `0x41 (user
//!   defined)`), and `response_function_code` when the response's differs;
//! - exceptions: `exception_code`, `exception` (`illegal_data_address`, …);
//! - reads and writes: `address`, `quantity`, `value` (function 5 and 6; a boolean for a
//!   coil), `values` (the first 128 coils as booleans or registers as numbers, written or
//!   read), `and_mask`, `or_mask` (22), `read_address`, `read_quantity`, `write_address`,
//!   `write_quantity`, `write_values` (23), `fifo_count` (24), `file_numbers`,
//!   `record_numbers`, `record_lengths` (20, 21);
//! - diagnostics: `sub_function`, `sub_function_name`, `data`, `response_data` (8),
//!   `status` (7, 11, 12), `event_count`, `message_count`, `events` (11, 12);
//! - identification: `server_id`, `run_indicator`, `additional_data`, `device_description`
//!   (17); `mei_type`, `mei`, `read_device_id_code`, `read_device_id`, `object_id`,
//!   `conformity_level`, `more_follows`, `next_object_id`, `object_count`, the standard
//!   objects `vendor_name`, `product_code`, `revision`, `vendor_url`, `product_name`,
//!   `model_name`, `user_application_name`, and `extended_objects` (`0x80=value`) (43/14);
//! - unknown functions and other MEI types: `data`, `response_data`;
//! - function 90: `umas`, a nested record with `session_key`, `function_code`, `function`,
//!   `signed`, `status_code` (0xFE ok, 0xFD error) and `status`, and per function `owner`
//!   and `assigned_session_key` (take reservation), `plc_model` and `firmware` (read id),
//!   `project_name` and `project_version` (read project info). See [`umas`] for the layouts.
//!
//! Activities: functions 1-4, 20, 24 read; 5, 6, 15, 16, 21-23 write; 7, 8, 11, 12
//! diagnostics, except diagnostics sub-function 1 (restart communications option), a restart;
//! 17 and 43/14 identify; UMAS functions by [`umas::UmasCode::activity`] (engineering:
//! program transfer, start, stop, reservation, monitoring).
//!
//! Identity (subject the server): Read Device Identification objects VendorName → vendor,
//! ProductCode → product code, MajorMinorRevision → firmware, ModelName (else ProductName) →
//! model, all stated; a Report Server ID text → description; a UMAS READ_ID answer → vendor
//! Schneider Electric, device type `plc`, model and firmware. The station name in a UMAS
//! reservation is the client's host name.
//!
//! Anomalies: `bad_header`, `resynchronised`, `oversized_adu` (a length over 254, still
//! read up to 1024), `exception_from_client` (an exception response sent to the server),
//! `truncated_pdu`, `bad_byte_count`,
//! `bad_quantity`, `address_overflow`, `illegal_coil_value`, `trailing_data`,
//! `bad_reference_type`, `bad_fifo_count`, `bad_object_count`, `echo_mismatch`,
//! `function_mismatch`, `reserved_function_code`, `user_defined_function_code`,
//! `unknown_function_code`, `unknown_umas_function`, `truncated_umas`,
//! `too_many_transactions`.
//!
//! Hand-written: `sawp-modbus` (the one maintained Rust Modbus parser) parses a PDU at a time
//! and leaves TCP framing, resynchronisation and pairing to its caller, has no UMAS, and
//! returns owned messages; `tokio-modbus` and `rodbus` are client/server stacks that reject
//! what a monitor must keep. The parser here is total, bounded (no list longer than 128 in a
//! record, no buffer beyond one ADU per outstanding request) and allocates nothing per
//! message once a flow's buffers exist.

mod dissector;
mod message;
mod parse;
pub mod umas;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use message::{FunctionCode, MBAP_LEN};

/// The Modbus/TCP flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "modbus",
    transports: &[Transport::Tcp],
    ports: &[502],
    probe,
    new: |_| Box::new(dissector::ModbusDissector::new(Limits::OT.max_transactions)),
    limits: Limits::OT,
};

/// Recognise an MBAP header with a public function code whose ADU ends the data or is
/// followed by another header; a valid header with another function, or an ADU still
/// incomplete, is only plausible.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let Some(len) = parse::plausible(data) else {
        return match data {
            [_, _, 0, 0, ..] if data.len() < MBAP_LEN + 1 => Probe::Unsure,
            [_, _, 0] | [_, _] | [_] => Probe::Unsure,
            _ => Probe::NotForUs,
        };
    };
    let public = data
        .get(MBAP_LEN)
        .is_some_and(|&f| FunctionCode(f & 0x7f).class() == message::Class::Public);
    let confirmed = match data.get(len..) {
        Some([]) => true,
        Some(next) => parse::plausible(next).is_some(),
        None => false,
    };
    if public && confirmed {
        Probe::Certain
    } else {
        Probe::Unsure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_whole_adus_with_public_functions() {
        let d = Direction::ToServer;
        // Read Holding Registers, tid 1, unit 1, address 0, 10 registers (spec §6.3).
        let read = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10];
        assert_eq!(probe(d, &read), Probe::Certain);
        let mut two = read.to_vec();
        two.extend_from_slice(&read[..5]);
        assert_eq!(
            probe(d, &two),
            Probe::Unsure,
            "the second header is cut short"
        );
        two.extend_from_slice(&read[5..]);
        assert_eq!(probe(d, &two), Probe::Certain);
        assert_eq!(probe(d, &read[..8]), Probe::Unsure);
        let mut unknown = read;
        unknown[7] = 0x2f;
        assert_eq!(probe(d, &unknown), Probe::Unsure);
        assert_eq!(probe(d, b"GET / HTTP/1.1\r\n"), Probe::NotForUs);
        assert_eq!(probe(d, &[0x16, 3, 1, 0, 0xaf, 1]), Probe::NotForUs);
    }
}
