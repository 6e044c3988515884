//! DNP3 (IEEE 1815-2012), TCP and UDP 20000: the SCADA protocol of electric, water and gas
//! utilities, between a master station and its outstations (RTUs, IEDs).
//!
//! Owns all three layers. The **link layer** frames the stream (start octets `05 64`,
//! length, control, destination, source, a CRC over the header and one per 16-octet data
//! block); every CRC is verified and a bad one drops the frame: a bad header CRC means the
//! length cannot be trusted, so the parser resynchronises on the next `05 64`. The
//! **transport layer** reassembles application fragments from segments (FIR, FIN, six-bit
//! sequence) per direction and address pair, at most 4096 octets and eight fragments at once
//! per flow. The **application layer** reads the header (FIR, FIN, CON, UNS, sequence,
//! function code, internal indications on responses) and walks every object header (group,
//! variation, qualifier, range), stepping over object data by the sizes the object library
//! gives; where a size is unknown and no size prefix gives it, the walk stops and says so.
//!
//! Records (`master` and `outstation` are link addresses; who is master comes from the
//! function code, requests being sent by the master):
//! - `transaction` (no direction): a request paired with its response by master, outstation
//!   and application sequence number: `master`, `outstation`, `seq`, the request's `fir`,
//!   `fin`, `con`, `uns`, `function_code`, `function` (`read`, `select`, `operate`,
//!   `direct_operate`, `cold_restart`, `authenticate_req`, …, `0x5a` codes as `unknown`),
//!   `objects` (each header as `g12v1 binary_output_command qualifier=0x28 count=1`, at most
//!   32), `controls` when it holds output commands (at most 16, control relay output blocks
//!   as `index=7 pulse_on trip count=1 on_ms=500 off_ms=0 status=0`, analog output blocks as
//!   `index=2 value=12.5 status=0`), `object_count`, `frames` (link frames that carried it),
//!   `link_function_code`; the
//!   response's same fields prefixed `response_`; and `iin` (IIN1 in the high octet, as
//!   Wireshark shows it) with `iin_flags` (`device_restart`, `need_time`, `local_control`,
//!   `device_trouble`, `config_corrupt`, `no_func_code_support`, `object_unknown`,
//!   `parameter_error`, `event_buffer_overflow`, `already_executing`, `class_1_events`, …,
//!   Suricata's names).
//! - `request` (direction as sent): a request that expects no response (direct operate no
//!   ack, the freezes without ack, `authenticate_err`, or one sent to a broadcast address).
//! - `unanswered`: a request whose response never came (at flow end, when the very same
//!   fragment is sent again, a retry, or beyond 256 outstanding). Masters may pipeline
//!   requests that share a sequence number; responses pair with the oldest waiting request of
//!   the same master, outstation and sequence, in order.
//! - `response`: a response no request in the flow explains (capture started late), and the
//!   second and later fragments of a multi-fragment response (FIR clear).
//! - `unsolicited`: an unsolicited response (function 130), with `iin` and `iin_flags`.
//! - `confirm`: an application confirm (function 0).
//! - `link`: a link frame without user data: `src`, `dst`, `dir`, `prm`, `fcb`, `fcv` (or
//!   `dfc` on secondary frames), `link_function_code`, `link_function` (`reset_link_states`,
//!   `test_link_states`, `request_link_status`, `ack`, `nack`, `link_status`, …).
//!
//! Activities of requests (and their transactions): read → `read`; write → `write`, or
//! `time_sync` when it writes time and date (g50v1, g50v3); select, operate, direct operate
//! and the freezes → `command`; cold and warm restart → `restart`; stop and initialize
//! application → `plc_stop`; start application → `plc_start`; initialize data, save and
//! activate configuration, enable and disable unsolicited, assign class → `config_change`;
//! delay measurement and record current time → `time_sync`; file services (25–30) →
//! `file_transfer`; Secure Authentication (32, 33, and a lone authentication response 131)
//! → `authentication`. The authentication objects (group 120, its fifteen variations named,
//! groups 121 and 122) are recognised and named in `objects`.
//!
//! Identity: the DIR bit of each link frame says whether its sender is the master, so each
//! side is reported once per flow as `Role` `dnp3 master` or `dnp3 outstation` whichever side
//! opened the connection. Device attributes (group 0) in responses name the outstation:
//! manufacturer (v252) → vendor, product and model (v250) → model, software (v242) →
//! firmware, hardware version (v243), serial number (v248), user-assigned name (v247) →
//! host name, location (v245).
//!
//! Anomalies: `lost_sync` (octets skipped to the next start octets), `bad_length`,
//! `bad_header_crc`, `bad_block_crc` (naming the block, expected and found CRC, offset; the
//! frame is dropped), `truncated_frame` (UDP), `unknown_link_function`,
//! `missing_transport_header`, `transport_incomplete`, `transport_no_first`,
//! `transport_sequence`, `fragment_too_large`, `too_many_reassemblies`,
//! `truncated_application_header`, `unknown_function`, `dir_mismatch` (the DIR bit
//! contradicts the function code), `truncated_object_header`, `reserved_qualifier`,
//! `bad_range`, `unknown_object_size`, `truncated_object_data`, `too_many_transactions`.
//!
//! Written here because the crates.io `dnp3` crate is a master/outstation implementation
//! under a non-open licence, and no permissive crate parses DNP3 passively: a monitor must
//! keep going past a bad CRC, an unknown object or a truncated fragment, name what broke, and
//! bound what it buffers, where a protocol stack rejects the frame and moves on.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The DNP3 flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "dnp3",
    transports: &[Transport::Tcp, Transport::Udp],
    ports: &[20000],
    probe,
    new: |transport| {
        Box::new(dissector::Dnp3Dissector::new(
            transport,
            Limits::OT.max_transactions,
        ))
    },
    // Polling goes on for the life of the plant.
    limits: Limits::OT,
};

/// Recognise a link header whose CRC is right, whatever its length field says: sixteen bits
/// of checksum over a fixed start make the match certain, and a malformed frame is still
/// DNP3 to report. A stream picked up mid-frame is recognised by the first valid header
/// within one frame's length; the dissector skips what comes before it.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let window = data.get(..MAX_FRAME).unwrap_or(data);
    let mut starts = window
        .windows(2)
        .enumerate()
        .filter(|(_, w)| *w == parse::START)
        .map(|(i, _)| i);
    if starts.any(|i| {
        data.get(i..i + parse::HEADER_LEN)
            .is_some_and(header_crc_holds)
    }) {
        return Probe::Certain;
    }
    match data {
        [0x05, 0x64, ..] if data.len() < parse::HEADER_LEN => Probe::Unsure,
        [0x05] => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}

/// The longest link frame: a header and 250 octets of user data in 16 blocks with CRCs.
const MAX_FRAME: usize = 292;

/// Tell whether the ten octets of a link header carry the CRC of the first eight.
fn header_crc_holds(header: &[u8]) -> bool {
    match header {
        [head @ .., lo, hi] => parse::crc(head) == u16::from_le_bytes([*lo, *hi]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_the_link_header_crc() {
        let d = Direction::ToServer;
        let cold_restart = [0x05, 0x64, 0x08, 0xc4, 0x0a, 0x00, 0x01, 0x00, 0xfc, 0x42];
        assert_eq!(probe(d, &cold_restart), Probe::Certain);
        let mut corrupt = cold_restart;
        corrupt[9] ^= 1;
        assert_eq!(probe(d, &corrupt), Probe::NotForUs);
        assert_eq!(probe(d, &cold_restart[..5]), Probe::Unsure);
        // Frame 1 of `dnp3-malformed.pcap`: a length of 2, but the header CRC holds.
        let short = [0x05, 0x64, 0x02, 0xc4, 0x0a, 0x00, 0x01, 0x00, 0x97, 0xfe];
        assert_eq!(probe(d, &short), Probe::Certain);
        // Picked up mid-frame: the header of the next frame is found.
        let mut late = vec![0x00, 0x64, 0x05, 0x33];
        late.extend_from_slice(&cold_restart);
        assert_eq!(probe(d, &late), Probe::Certain);
        assert_eq!(probe(d, b"GET / HTTP/1.1"), Probe::NotForUs);
        assert_eq!(probe(d, &[]), Probe::NotForUs);
    }
}
