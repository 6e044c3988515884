//! Mitsubishi Electric SLMP (SeamLess Message Protocol) and the MELSEC communication
//! protocol ("MC protocol") it extends, in 3E and 4E frames, binary and ASCII, on TCP and
//! UDP (5007 by custom, 5000-5010 commonly configured): how engineering tools, HMIs and
//! SCADA read and write MELSEC iQ-R, iQ-F, Q and L CPU devices and run or stop them.
//!
//! Framing: a 3E frame is subheader 5000 (request) or D000 (response), network, station,
//! module I/O and module station numbers and a data length; a 4E frame (5400 / D400) adds a
//! serial number. ASCII frames spell the same fields in hexadecimal characters. On TCP the
//! length delimits frames; a subheader that is none of the four is reported (`bad_header`) and
//! the stream is searched for the next one (`resynchronised`).
//!
//! Records: one per transaction (4E responses paired by serial number, 3E in order), kind the
//! command's name (`device_read`, `device_write`, `remote_run`, `remote_stop`,
//! `remote_pause`, `remote_latch_clear`, `remote_reset`, `read_type_name`, `self_test`,
//! `clear_error`, `remote_password_unlock`, the file commands `open_file`, `read_file`,
//! `write_file`, …) or `unknown_command`. Fields: `frame` (`3e`, `4e`), `encoding` (`binary`,
//! `ascii`), `serial`, `network`, `station`, `module_io`, `module_station`,
//! `monitoring_timer`, `command` and `command_name`, `subcommand`, `unit` (`word` or `bit`),
//! for binary batch reads and writes `device_code`, `device` (`D`, `M`, `X`, …),
//! `head_device` and `points` (ASCII device specifications are not decoded), then `end_code`
//! and `error` (a non-zero end code), and `model_name`, `model_code` of a Read Type Name
//! answer.
//!
//! `testdata/pymcprotocol-3e-4e-ascii.pcap` is a real client, pymcprotocol 0.3.0, talking 3E
//! binary, 4E binary and 3E ASCII to a small server of ours (`testdata/record.sh`).
//!
//! Activities: device and memory reads read, writes and latch clear write, monitor
//! registration and execution monitor, remote run starts, remote stop and pause stop, remote
//! reset restarts, read type name identifies, file creation and writing download programs,
//! file reading uploads them, file deletion deletes them, other file commands transfer files,
//! password unlock authenticates, self test and clear error are diagnostics.
//!
//! Identity: a Read Type Name answer gives the server's model (stated), its model code as
//! product code, vendor Mitsubishi Electric and device type `plc`. Anomalies: `bad_header`,
//! `resynchronised`, `truncated_header`, `truncated_message`, `unknown_command`,
//! `unexpected_direction`, `too_many_transactions`.
//!
//! Hand-written: no Rust crate parses SLMP; the client libraries of other languages
//! (`pymcprotocol`, `mcprotocol`) build requests and trust the answers.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The SLMP flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "slmp",
    transports: &[Transport::Tcp, Transport::Udp],
    ports: &[
        5007, 5000, 5001, 5002, 5003, 5004, 5005, 5006, 5008, 5009, 5010,
    ],
    probe,
    new: |transport| {
        Box::new(dissector::SlmpDissector::new(
            transport,
            Limits::OT.max_transactions,
        ))
    },
    limits: Limits::OT,
};

/// Recognise a whole request or response frame, binary or ASCII, whose length field accounts
/// for the data exactly (or is followed by another frame); a frame still arriving is only
/// plausible.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match parse::header(data) {
        Ok(Some(h)) => match data.get(h.total()..) {
            Some([]) => Probe::Certain,
            Some(next) if matches!(parse::header(next), Ok(Some(_))) => Probe::Certain,
            Some(_) => Probe::NotForUs,
            None => Probe::Unsure,
        },
        Ok(None) if !data.is_empty() => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_whole_frames() {
        let d = Direction::ToServer;
        // 3E binary Remote STOP (command 1002, data 0001).
        let stop = [
            0x50, 0x00, 0x00, 0xff, 0xff, 0x03, 0x00, 0x08, 0x00, 0x10, 0x00, 0x02, 0x10, 0x00,
            0x00, 0x01, 0x00,
        ];
        assert_eq!(probe(d, &stop), Probe::Certain);
        assert_eq!(probe(d, &stop[..12]), Probe::Unsure);
        let mut longer = stop.to_vec();
        longer.push(0x99);
        assert_eq!(probe(d, &longer), Probe::NotForUs);
        assert_eq!(
            probe(d, b"500000FF03FF000018001014010001D*0000200001"),
            Probe::Certain
        );
        assert_eq!(probe(d, b"GET / HTTP/1.1"), Probe::NotForUs);
    }
}
