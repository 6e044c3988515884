//! IEC 60870-5-104, TCP 2404: telecontrol of substations and grids, between a controlling
//! station (SCADA master) and controlled stations (RTUs, IEDs).
//!
//! Owns the APCI and the ASDU. APDUs are framed by their start octet `0x68` and length
//! (4–253); anything else is skipped to the next start octet. The control field gives the
//! format: I (numbered information, carrying an ASDU), S (acknowledgement) or U (STARTDT,
//! STOPDT, TESTFR, act and con). Send sequence numbers are checked per direction: a repeat
//! or a jump is an anomaly, and so is an acknowledgement of more than was sent. The ASDU header (type identification, variable structure
//! qualifier, cause of transmission with its negative and test bits, originator, common
//! address) and every information object (three-octet address, elements, time tag) are
//! read; values of the common monitor and command types are decoded with their quality
//! descriptors and time tags.
//!
//! Records, one per APDU, direction as sent:
//! - `i_format`: `apci` (`I`), `apci_type` (0, as Wireshark numbers it), `send_seq`,
//!   `recv_seq`, `type_id`, `type_name` (`M_SP_NA_1` … `C_SC_NA_1`, `C_IC_NA_1`,
//!   `C_CS_NA_1`, `F_SG_NA_1`, `unknown`), `sq`, `num_objects`, `cot`, `cot_name` (`per_cyc`,
//!   `spont`, `act`, `actcon`, `actterm`, `inrogen`, `inro1`…, `unknown_ioa`), `negative`,
//!   `test`, `originator`, `common_address`, and for the first 64 objects `ioa` (addresses)
//!   with `values` beside them: `on`/`off`, `intermediate`/`indeterminate` for double points,
//!   step positions (`-1 transient`), normalized values as fractions, scaled values, short
//!   floats, bitstrings in hex, counter readings with their sequence, command states
//!   (`on`, `lower`, `higher`), interrogation qualifiers (`station`, `group_3`), other types
//!   as hex; then ` quality=iv,nt,sb,bl,ov` when a quality flag is set and ` time=…` for
//!   time-tagged types (CP56Time2a as `2009-08-13T12:30:10.000`, CP24Time2a as
//!   `30:10.000`). Commands (45–64) add `command` (`select` or `execute`, the S/E bit) and
//!   `qualifier` (QU, or QL of a set-point) of their first object.
//! - `s_format`: `apci` (`S`), `apci_type` (1), `recv_seq`.
//! - `u_format`: `apci` (`U`), `apci_type` (3), `u_code` (the function bits, 0x01 STARTDT
//!   act … 0x20 TESTFR con, as Wireshark's `utype`), `u_function` (`startdt_act`,
//!   `startdt_con`, `stopdt_act`, `stopdt_con`, `testfr_act`, `testfr_con`).
//!
//! Activities: commands 45–64 → `command`; interrogation (100), counter interrogation (101)
//! and read (102) → `read`; clock synchronisation (103) and delay acquisition (106) →
//! `time_sync`; test commands (104, 107) → `diagnostics`; reset process (105) → `restart`;
//! parameters (110–113) → `config_change`; file transfer (120–127) → `file_transfer`;
//! STARTDT and STOPDT → `session`.
//!
//! Identity: the side that sends STARTDT act, or activates (or deactivates) a command or
//! system command, is reported once per flow with `Role` `iec104 controlling station`, the
//! other side `iec104 controlled station`; confirmations and terminations of those point the
//! other way.
//!
//! Anomalies: `lost_sync`, `bad_length` (outside 4–253, or S/U frames with more than a
//! control field), `bad_u_function`, `sequence_gap`, `duplicate_sequence`, `ack_ahead` (a
//! receive number acknowledging APDUs the other side has not sent),
//! `truncated_asdu`, `unknown_type_id`, `unknown_cause`, `no_objects`, `trailing_bytes`.
//!
//! Written here because no maintained permissive Rust crate parses IEC 104 passively: a
//! monitor needs to keep going past a malformed APDU, bound what it lists, and report what
//! broke where, which a station implementation does not do.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The IEC 60870-5-104 flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "iec104",
    transports: &[Transport::Tcp],
    ports: &[2404],
    probe,
    new: |_| Box::<dissector::Iec104Dissector>::default(),
    // Substations stay connected for months.
    limits: Limits::OT,
};

/// Recognise an APDU: the start octet, a length in range and a control field that fits it
/// (S and U frames are exactly four octets long, U frames set one function bit). Only the
/// port makes that certain enough, so a match is `Unsure` unless two APDUs follow each other.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let Some(first) = apdu_len(data) else {
        return match data {
            [] => Probe::NotForUs,
            [parse::START] | [parse::START, parse::MIN_LENGTH..=parse::MAX_LENGTH] => Probe::Unsure,
            _ if picked_up_late(data) => Probe::Unsure,
            _ => Probe::NotForUs,
        };
    };
    match data.get(first..) {
        None | Some([]) => Probe::Unsure,
        Some(rest) if apdu_len(rest).is_some() => Probe::Certain,
        Some([parse::START] | [parse::START, _]) => Probe::Unsure,
        Some(_) => Probe::NotForUs,
    }
}

/// Tell whether a stream picked up mid-APDU has, within one APDU's length, a start octet
/// from which an APDU runs to the end of the data or to another APDU.
fn picked_up_late(data: &[u8]) -> bool {
    let window = data.len().min(2 + usize::from(parse::MAX_LENGTH));
    (1..window).any(|start| {
        let Some(n) = data.get(start..).and_then(apdu_len) else {
            return false;
        };
        match data.get(start + n..) {
            None => false,
            Some(rest) => rest.is_empty() || apdu_len(rest).is_some(),
        }
    })
}

/// Return the length of the plausible APDU at the start of `data`, when its header is there.
fn apdu_len(data: &[u8]) -> Option<usize> {
    let [parse::START, length, c0, ..] = *data else {
        return None;
    };
    if !(parse::MIN_LENGTH..=parse::MAX_LENGTH).contains(&length) {
        return None;
    }
    let fits = match c0 & 0x03 {
        1 => length == 4 && c0 == 0x01,
        3 => length == 4 && message::UFunction(c0 >> 2).name().is_some(),
        _ => length >= 4 + 6,
    };
    fits.then_some(2 + usize::from(length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_apdus_and_is_certain_of_two_in_a_row() {
        let d = Direction::ToServer;
        let startdt = [0x68, 0x04, 0x07, 0x00, 0x00, 0x00];
        assert_eq!(probe(d, &startdt), Probe::Unsure);
        let twice = [startdt, startdt].concat();
        assert_eq!(probe(d, &twice), Probe::Certain);
        assert_eq!(probe(d, &[0x68, 0x04, 0x0f, 0, 0, 0]), Probe::NotForUs);
        assert_eq!(probe(d, &[0x68, 0x02, 0x01, 0x00]), Probe::NotForUs);
        assert_eq!(probe(d, b"GET / HTTP/1.1"), Probe::NotForUs);
        assert_eq!(probe(d, &[0x68]), Probe::Unsure);
        assert_eq!(probe(d, &[]), Probe::NotForUs);
        let mut followed = startdt.to_vec();
        followed.extend_from_slice(b"junk!!!");
        assert_eq!(probe(d, &followed), Probe::NotForUs);
        // Picked up in the middle of an APDU, then a whole one: left to the port.
        let late = [&[0x00, 0x03, 0x00][..], &startdt].concat();
        assert_eq!(probe(d, &late), Probe::Unsure);
    }
}
