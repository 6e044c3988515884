//! GE SRTP (Service Request Transport Protocol), TCP 18245: how Proficy Machine Edition,
//! HMIs and historians talk to GE (now Emerson) Series 90-30, 90-70, VersaMax, RX3i and RX7i
//! PLCs.
//!
//! Framing: every message starts with a 56-byte header; a text buffer of the header's text
//! length (bytes 4-5) follows it, which replies often send in a TCP segment of its own. Byte 0
//! is the packet type (0 the all-zero INIT that opens a connection, 1 its acknowledgement, 2 a
//! service request, 3 its reply), byte 31 the mailbox message type (0xC0 request, 0x80 request
//! with a text buffer, 0xD4 ACK, 0x94 ACK with a text buffer, 0xD1 error NACK). A header that is
//! none of these is reported (`bad_header`) and the stream searched for the next
//! (`resynchronised`). See [`message`] for the sources of the layout.
//!
//! Records: one per transaction, paired by the sequence number (bytes 2-3), kind the service
//! (`plc_short_status`, `read_system_memory`, `write_system_memory`, `programmer_logon`,
//! `set_plc_state`, `program_store`, `program_load`, `return_controller_type_and_id`, …),
//! `init` for the connection handshake or `unknown_service`. Fields: `sequence`,
//! `request_message_type` and `request_type`, `response_message_type` and `response_type`,
//! `mailbox_destination`, `service_code`, `service`, `segment_selector`, `segment` (`%R`,
//! `%I`, …), `access` (`bit`, `byte`, `word`), `index` (0-based), `count`, `text_length`,
//! `status_code`, `status`, `minor_status_code`, `privilege_level`, `plc_status_word`,
//! `plc_state` (`run_io_enabled`, `stop_io_disabled`, `cpu_halted`, …, from a short ACK's
//! status word).
//!
//! Activities: memory reads read, writes and forcing write, program store uploads and program
//! load downloads programs, set PLC state is a mode change (which byte of it says run or stop
//! is not publicly established; the reply's status word then states the mode), logon and
//! privilege changes authenticate, set control id changes configuration, time services
//! synchronise time, status, fault table and controller type services are diagnostics or
//! identification, the INIT handshake opens a session. Identity: the PLC mode a short ACK's
//! status word states (`run`, `stop`, `stop_faulted`, `halted`, `suspended`), reported when it
//! changes. The reply to "return controller type and ID" is not decoded: no public source gives
//! its layout. Anomalies: `bad_header`, `resynchronised`, `unknown_service`,
//! `unexpected_direction`, `multi_packet_message`, `too_many_transactions`.
//!
//! Hand-written: no Rust crate or other library parses SRTP passively. The probe is never
//! certain: SRTP has no magic bytes, so a flow is SRTP only on port 18245.

mod dissector;
pub mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The GE SRTP flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "srtp",
    transports: &[Transport::Tcp],
    ports: &[18245],
    probe,
    new: |_| Box::new(dissector::SrtpDissector::new(Limits::OT.max_transactions)),
    limits: Limits::OT,
};

/// Say whether the first bytes could be SRTP: a valid header (or the start of one) is
/// plausible, anything else is not.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match parse::header(data) {
        Ok(Some(_)) => Probe::Unsure,
        Ok(None) if matches!(data, [0..=3 | 8, 0, ..] | [0..=3 | 8]) => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_headers_as_plausible_only() {
        let d = Direction::ToServer;
        assert_eq!(probe(d, &parse::tests::read_registers(1)), Probe::Unsure);
        assert_eq!(probe(d, &[0u8; 56]), Probe::Unsure);
        assert_eq!(probe(d, &[0x02, 0x00, 0x01]), Probe::Unsure);
        assert_eq!(probe(d, b"GET / HTTP/1.1"), Probe::NotForUs);
    }
}
