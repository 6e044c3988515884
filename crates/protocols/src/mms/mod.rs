//! MMS (Manufacturing Message Specification, ISO 9506) over the OSI upper layers on TCP 102:
//! the ISO session (ISO 8327-1), presentation (ISO 8823-1) and ACSE (ISO 8650-1) on COTP.
//! IEC 61850 servers (protection relays, bay controllers, gateways) and ICCP links speak it.
//!
//! Owns the session SPDU (CONNECT, ACCEPT, REFUSE, FINISH, DISCONNECT, ABORT, GIVE TOKENS +
//! DATA TRANSFER), the presentation CP/CPA PPDU and fully encoded user data, the ACSE APDUs
//! (AARQ, AARE, RLRQ, RLRE, ABRT) and the MMS PDU: initiate, confirmed request, response and
//! error with invoke id and service, unconfirmed services, reject, cancel and conclude. BER
//! is read by hand with [`crate::ber`], one nesting level at a time; framing, COTP records
//! and reassembly are [`crate::cotp`]'s.
//!
//! Records: a confirmed request and its response or error (same invoke id, opposite
//! direction), the association (CONNECT/AARQ/initiate request with ACCEPT or REFUSE/AARE/
//! initiate response or error), conclude, release (FINISH/RLRQ with DISCONNECT/RLRE) and
//! cancel are transactions; anything unanswered (at flow end or beyond the transaction limit)
//! or unmatched, unconfirmed services, rejects and aborts are records alone. The kind is the
//! service (`read`, `write`, `get_name_list`, `identify`, `get_variable_access_attributes`,
//! `get_named_variable_list_attributes`, `file_open`, `file_read`, `file_directory`, …, 78 in
//! all; `unknown_service`), `information_report`, `unsolicited_status`,
//! `event_notification`, `initiate`, `conclude`, `release`, `refuse`, `abort`, `cancel`,
//! `reject`, `confirmed_error` (an error without its request) or `data` (user data that is
//! no MMS). Fields, each present when the message has it:
//! - MMS: `pdu_type`, `response_pdu_type`, `invoke_id`, `service_code`; errors
//!   `error_class_code`, `error_class`, `error_code`; rejects `reject_type`, `reject_code`;
//! - initiate: `local_detail_calling`, `max_serv_outstanding_calling`,
//!   `max_serv_outstanding_called`, `data_structure_nesting_level`, `version`,
//!   `parameter_cbb` (hex), `services_supported_calling` (service names), and from the
//!   response `local_detail_called`, the `negotiated_` counterparts,
//!   `services_supported_called`;
//! - session and presentation: `spdu`, `response_spdu`, `calling_session_selector`,
//!   `called_session_selector`, `responding_session_selector`, `calling_presentation_selector`,
//!   `called_presentation_selector`, `responding_presentation_selector` (hex);
//! - ACSE: `acse`, `response_acse`, `application_context` (OID), `called_ap_title`,
//!   `called_ae_qualifier`, `calling_ap_title`, `calling_ae_qualifier`, `responding_ap_title`,
//!   `responding_ae_qualifier`, `authentication_mechanism`, `authentication` (`password`,
//!   `other`), `acse_result`, `acse_result_code`, `acse_diagnostic`, `release_reason`,
//!   `response_release_reason`, `abort_source`;
//! - services: `variables` (`domain/item`, at most 64) and `variable_count`,
//!   `variable_name` (GetVariableAccessAttributes), `variable_list_name`, `data_count`, `result_count`, `failure_count`, `data_access_error`,
//!   `data_access_error_name`, `report_id` (the RptID of an IEC 61850 report), `object_class`,
//!   `object_class_name`, `object_scope`, `domain`, `continue_after`, `identifiers` and
//!   `identifier_count`, `more_follows`, `vendor_name`, `model_name`, `revision`,
//!   `logical_status`, `physical_status`, `file_names` and `file_name_count`, `frsm_id`,
//!   `file_size`, `file_data_length`, `directory_entries` and `directory_entry_count`.
//!
//! Activities: initiate, conclude and association → `session`, read and readJournal →
//! `read`, write, output and journal writes → `write`, identify → `identify`, status →
//! `diagnostics`, file services and obtainFile → `file_transfer`, domain download/upload →
//! `program_download`/`program_upload`, deleteDomain and deleteProgramInvocation →
//! `program_delete`, start/resume → `plc_start`, stop/kill → `plc_stop`, reset → `restart`,
//! define/delete services → `config_change`, takeControl, triggerEvent, event
//! acknowledgement → `command`, informationReport → `monitor`.
//!
//! Identity: an Identify response states the responder's vendor, model and revision
//! (firmware), and makes it a device of type `ied` (strong: MMS servers are mostly IEC 61850
//! IEDs). An AARQ carrying a password is a `cleartext_credential` finding about the server.
//!
//! Anomalies: `session_truncated`, `ber_truncated`, `ber_bad_length`, `ber_bad_tag`,
//! `ber_unexpected_tag`, `unknown_presentation_payload`, `duplicate_invoke_id`,
//! `too_many_transactions`, `fields_dropped`, and the COTP ones.
//!
//! Written by hand: the Rust ASN.1 crates decode whole modules into owned trees (allocating
//! per element, failing on the first surprise), and no crate covers the OSI session and
//! presentation layers; a monitor needs the fields above, with offsets, from any octets.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use crate::cotp::{Peek, first_payload};

const PROTOCOL: &str = "mms";

/// The MMS flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: PROTOCOL,
    transports: &[Transport::Tcp],
    ports: &[102],
    probe,
    new: |_| Box::new(dissector::MmsDissector::new(Limits::OT.max_transactions)),
    limits: Limits::OT,
};

/// Recognise an ISO session SPDU as the first COTP data: CONNECT or ACCEPT, or GIVE TOKENS
/// with DATA TRANSFER carrying fully encoded presentation data (a flow picked up midway).
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match first_payload(data) {
        Peek::NotCotp => Probe::NotForUs,
        Peek::Handshake => Probe::NeedMore,
        Peek::Payload([0x0d | 0x0e, _, ..]) => Probe::Certain,
        Peek::Payload([0x01, 0x00, 0x01, 0x00, 0x61, ..]) => Probe::Certain,
        Peek::Payload(p) if p.len() < 5 && [0x01, 0x00, 0x01, 0x00].starts_with(p) => {
            Probe::NeedMore
        }
        Peek::Payload(_) => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cotp::test_dt as dt;

    #[test]
    fn probes_for_a_session_spdu_in_the_first_data() {
        let d = Direction::ToServer;
        assert_eq!(probe(d, &dt(&[0x0d, 0x9e, 0x05, 0x06])), Probe::Certain);
        assert_eq!(
            probe(d, &dt(&[0x01, 0x00, 0x01, 0x00, 0x61, 0x35])),
            Probe::Certain
        );
        assert_eq!(probe(d, &dt(&[0x01, 0x00])), Probe::NeedMore);
        assert_eq!(probe(d, &dt(&[0x32, 0x01, 0x00])), Probe::NotForUs);
        assert_eq!(probe(d, &dt(&[0x72, 0x01, 0x00])), Probe::NotForUs);
    }
}
