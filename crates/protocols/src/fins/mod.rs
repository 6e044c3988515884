//! Omron FINS (Factory Interface Network Service; FINS Commands Reference Manual W227,
//! CS/CJ Communications Commands W342 §5 and §7), UDP 9600 and FINS/TCP on TCP 9600: the
//! command protocol of Omron PLCs.
//!
//! Each FINS frame is a 10-byte header (ICF, RSV, GCT, destination network/node/unit DNA,
//! DA1, DA2, source SNA, SA1, SA2, service id SID), a two-byte command code (MRC, SRC) and
//! parameters; a response (ICF bit 6) repeats the command code and adds a two-byte end code.
//! On TCP each frame follows a 16-byte FINS/TCP header (`FINS`, length, command, error code)
//! after a node address handshake. Records:
//! - `command`: a command paired with its response by SID and command code, travelling the
//!   other way (`direction` none; node addresses are not compared, since a command to node 0
//!   is answered from the node's own number), or alone when it asks for no response, goes
//!   unanswered (at flow end, when its SID is reused, or beyond `max_transactions`). Fields:
//!   `icf`, `gct`, `dna`, `da1`, `da2`, `sna`, `sa1`, `sa2`, `sid`, `command_code`,
//!   `command` (`memory_area_read`, `run`, `program_area_write`, …), `response_required`,
//!   `memory_area_code`, `memory_area` (`dm_word`, `cio_bit`, …), `parameter_area_code`,
//!   `address`, `bit`, `item_count`, `element_count`, `program_number`, `mode`(+`_code`),
//!   `clock` (a clock write), `password_present` (program area protection); and from the
//!   response `end_code`, `main_code`, `sub_code`, `end_code_name`
//!   (`normal_completion`, `command_error`, …), `network_relay_error`, `fatal_cpu_error`,
//!   `non_fatal_cpu_error`, `response_length`, `plc_mode`, `controller_clock`,
//!   `controller_model`, `controller_version`.
//! - `response`: a response whose command was not seen, with the header and response fields.
//! - `node_address`: the FINS/TCP node address exchange (`tcp_command`, `tcp_command_code`,
//!   `error_code`, `client_node`, `server_node`); `tcp_message` for other FINS/TCP commands.
//!
//! Activities: memory and parameter area reads, data link table read, forced status read →
//! read; memory area write, fill, transfer → write; parameter area write/clear, data link
//! table write, program protection, name set/delete → config_change; program area read →
//! program_upload, write → program_download, clear → program_delete; run → plc_start; stop →
//! plc_stop; controller and connection data read, name read → identify; status, network,
//! data link and cycle time reads, tests, message and error log reads → diagnostics; clock
//! read/write → time_sync; access rights → session; error clear, error log clear, forced
//! set/reset (overriding I/O bits) → command; file memory services → file_transfer.
//!
//! Identity, about the responder: a controller data read names its model and version
//! (model, firmware, stated) and makes it an Omron PLC (vendor `Omron`, device type `plc`,
//! strong: FINS is Omron's, though gateways of other makers speak it); a controller status
//! read states its operating mode (`plc_mode`: `run`, `monitor`, `program`, `stop`,
//! `standby`).
//!
//! Anomalies: `truncated`, `trailing_data` (data after the end code of a response that has
//! none), `reserved_bits` (ICF bits 1–5 or RSV set), `unknown_command`, `bad_tcp_header`
//! (then the stream is searched for the next `FINS`), `too_many_transactions`.
//!
//! Written by hand: no Rust crate parses FINS; it is a small fixed-layout protocol best
//! read with the dissect `Reader`, boundedly and without allocation.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The FINS flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "fins",
    transports: &[Transport::Udp, Transport::Tcp],
    ports: &[9600],
    probe,
    new: |transport| {
        Box::new(dissector::FinsDissector::new(
            transport,
            Limits::OT.max_transactions,
        ))
    },
    limits: Limits::OT,
};

/// Recognise FINS/TCP by its magic (certain); a bare FINS frame has no signature, only a
/// plausible header (gateway bit set, reserved bits clear, a gateway count of at most 7),
/// so the port decides.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    if data.starts_with(parse::TCP_MAGIC) {
        return Probe::Certain;
    }
    if !data.is_empty() && parse::TCP_MAGIC.starts_with(data) {
        return Probe::Unsure;
    }
    match data {
        [icf, 0, gct, ..] if data.len() >= parse::MIN_FRAME && icf & 0xbe == 0x80 && *gct <= 7 => {
            Probe::Unsure
        }
        _ => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_the_tcp_magic_and_plausible_frames() {
        let d = Direction::ToServer;
        assert_eq!(probe(d, b"FINS\0\0\0\x0c"), Probe::Certain);
        assert_eq!(probe(d, b"FI"), Probe::Unsure);
        let read = [0x80, 0, 2, 0, 0x7a, 0, 0, 1, 0, 7, 0x01, 0x01];
        assert_eq!(probe(d, &read), Probe::Unsure);
        assert_eq!(
            probe(d, &[0x81, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1]),
            Probe::Unsure
        );
        assert_eq!(
            probe(d, &[0x84, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1]),
            Probe::NotForUs
        );
        assert_eq!(probe(d, b"GET / HTTP/1.1"), Probe::NotForUs);
    }
}
