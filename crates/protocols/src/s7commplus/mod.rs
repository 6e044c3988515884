//! S7comm-plus (protocol id 0x72) over COTP on TCP 102: how TIA Portal, WinCC Unified and
//! HMIs talk to S7-1200 and S7-1500 controllers. Siemens publishes no specification and
//! versions 2 and 3 protect the session cryptographically, so this module recognises the
//! protocol and attributes activity rather than decoding values.
//!
//! Owns the S7comm-plus frame (0x72, version V1/V2/V3 or 0xfe keep-alive, data length, a
//! trailer after a message's last frame), reassembles a message from its frames (at most
//! 64 KiB), and reads the message header: the V3 integrity digest, opcode (request 0x31,
//! response 0x32, notification 0x33, response2 0x02), function (explore, create_object,
//! delete_object, set_variable, get_variable, add_link, remove_link, get_link,
//! set_multi_variables, get_multi_variables, begin_sequence, end_sequence, invoke,
//! set_var_sub_streamed, get_var_sub_streamed, get_variables_address, abort, error,
//! init_ssl), sequence number, session id and transport flags. Framing, COTP records and
//! DT reassembly are [`crate::cotp`]'s.
//!
//! Records: a request and its response (same sequence number, opposite direction) are one
//! transaction; unanswered requests (at flow end or beyond the transaction limit), unmatched
//! responses, notifications and keep-alives are records alone. The kind is the function
//! (`unknown_function` when unassigned), `notification`, `keep_alive` or `unknown`. Fields:
//! `version`, `version_name`, `opcode`, `opcode_name`, `function_code`, `function`,
//! `object_id` (the object a request creates under, deletes, writes, reads through or
//! explores), `sequence_number`, `session_id`, `transport_flags`, `integrity`,
//! `data_length`, `fragments`, `strings` (printable runs of the body: session, class,
//! transaction and block names; at most 16), and from a paired response `response_opcode`,
//! `response_transport_flags`, `response_data_length`, `response_fragments`,
//! `return_value`, `response_strings`.
//!
//! Activity, by heuristics over what the messages show (documented because they are not a
//! decoding):
//! - `session`: the CreateObject that opens a session (sent to the server session container
//!   0x120, naming `ServerSession`), SetVariable/SetMultiVariables on the session object
//!   (the session setup), and the DeleteObject of the session object that closes it;
//! - `program_download`: a BeginSequence naming `DLTransaction` (TIA Portal's download
//!   transaction), the sequences nested in it, and the CreateObject/SetVariable/
//!   SetMultiVariables/SetVarSubStreamed sent until it ends; DeleteObject inside it is
//!   `program_delete`. In `s7comm/s7commplus-s7-1200-upload-ob1.pcap` the engineering
//!   station opens such a transaction and creates the block `Main` ("Main Program Sweep
//!   (Cycle)", OB 1) with 2 KiB of code: a transfer to the PLC, a download in S7 terms,
//!   whatever the capture's name says;
//! - `read` for GetVariable, GetMultiVariables, GetVarSubStreamed; `write` for the Set
//!   functions outside those cases; `command` for Invoke; `monitor` for notifications.
//!   An upload is reads of block objects that nothing in the protocol tells apart from an
//!   HMI's reads, so no message is called `program_upload`.
//!
//! Identity, about the responder: the server session version it states when a session
//! opens (`1;6ES7 214-1HE30-0XB0 ;V2.2`) gives its order number and firmware (stated), an
//! identification string (`6ES7 214-1HE30-0XB0 SZVBDYXX017685`, recognised by the shape of
//! the order number) its order number and serial (strong); either makes it a `plc` of vendor
//! Siemens and yields an `Event::Module` of kind `cpu`.
//!
//! Anomalies: `bad_protocol_id`, `truncated`, `trailing_data`, `unknown_opcode`,
//! `reassembly_overflow`, `duplicate_sequence_number`, `too_many_transactions`,
//! `fields_dropped`, and the COTP ones.
//!
//! Written by hand: there is no S7comm-plus parser in Rust, and the public dissectors are
//! GPL reverse-engineering work, read here for behaviour only.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use crate::cotp::{Peek, first_payload};

const PROTOCOL: &str = "s7commplus";

/// The S7comm-plus flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: PROTOCOL,
    transports: &[Transport::Tcp],
    ports: &[102],
    probe,
    new: |_| Box::new(dissector::PlusDissector::new(Limits::OT.max_transactions)),
    limits: Limits::OT,
};

/// Recognise an S7comm-plus frame (0x72 and a known version) as the first COTP data.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match first_payload(data) {
        Peek::NotCotp => Probe::NotForUs,
        Peek::Handshake => Probe::NeedMore,
        Peek::Payload([parse::PROTOCOL_ID]) => Probe::Certain,
        Peek::Payload([parse::PROTOCOL_ID, 0x01..=0x03 | 0xfe, ..]) => Probe::Certain,
        Peek::Payload(_) => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_for_the_protocol_id_after_the_handshake() {
        let d = Direction::ToServer;
        let dt = |p: &[u8]| {
            let mut v = vec![
                0x03,
                0x00,
                0x00,
                u8::try_from(p.len() + 7).expect("small"),
                0x02,
                0xf0,
                0x80,
            ];
            v.extend_from_slice(p);
            v
        };
        assert_eq!(probe(d, &dt(&[0x72, 0x02, 0x00, 0x10])), Probe::Certain);
        assert_eq!(probe(d, &dt(&[0x72, 0x07])), Probe::NotForUs);
        assert_eq!(probe(d, &dt(&[0x32, 0x01])), Probe::NotForUs);
        assert_eq!(
            probe(d, &[0x03, 0x00, 0x00, 0x16, 0x11, 0xe0]),
            Probe::NeedMore
        );
    }
}
