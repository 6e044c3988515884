//! GOOSE frames to events: one record per frame, problems as anomalies, the publisher's
//! role as identity.

use std::fmt::Write as _;

use rampart_dissect::{
    Attribute, Confidence, Event, EventSink, FieldList, Frame, Record, Subject, Value, identify,
    report,
};
use rampart_event::Timestamp;

use super::PROTOCOL;
use super::message::data_type_name;
use super::parse::{self, HEADER_LEN};
use crate::value::text_or_hex;

/// Dataset entries whose types a record lists.
const MAX_TYPES: usize = 64;

/// A short text built on the stack (an RFC 3339 timestamp).
struct StackText {
    bytes: [u8; 40],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// Parse one GOOSE frame and report it.
pub fn dissect(frame: &Frame<'_>, sink: &mut dyn EventSink) {
    let payload = frame.payload;
    let header = match parse::header(payload) {
        Ok(h) => h,
        Err(e) => return report(sink, PROTOCOL, "truncated", Some(e.offset), &e),
    };
    let length = usize::from(header.length);
    if length < HEADER_LEN || length > payload.len() {
        let detail = format_args!(
            "length {} is outside the {HEADER_LEN} to {} octets present",
            header.length,
            payload.len()
        );
        report(sink, PROTOCOL, "length_mismatch", Some(2), &detail);
    }
    // The APDU ends where the length says, unless it claims more than there is; Ethernet
    // padding after it is not part of the frame.
    let apdu = payload
        .get(HEADER_LEN..length.clamp(HEADER_LEN, payload.len()))
        .filter(|a| !a.is_empty())
        .unwrap_or(payload.get(HEADER_LEN..).unwrap_or_default());
    let (pdu, all_data, end) = match parse::pdu(apdu) {
        Ok(p) => p,
        Err(e) => return report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
    };
    if end != apdu.len() {
        let detail = format_args!(
            "goosePdu of {end} octets, but the length field leaves {}",
            apdu.len()
        );
        report(sink, PROTOCOL, "length_mismatch", Some(2), &detail);
    }
    let mut types = [""; MAX_TYPES];
    let mut listed = 0;
    let count = match all_data.map(|d| {
        parse::data_types(d, |tag| {
            if let Some(slot) = types.get_mut(listed) {
                *slot = data_type_name(tag);
                listed += 1;
            }
        })
    }) {
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => {
            report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
            None
        }
        None => None,
    };
    if let (Some(n), Some(claimed)) = (count, pdu.num_dat_set_entries)
        && n != claimed
    {
        let detail = format_args!("numDatSetEntries {claimed}, allData holds {n}");
        report(sink, PROTOCOL, "entries_mismatch", None, &detail);
    }
    for (name, present) in [
        ("gocbRef", pdu.gocb_ref.is_some()),
        ("stNum", pdu.st_num.is_some()),
        ("sqNum", pdu.sq_num.is_some()),
        ("allData", all_data.is_some()),
    ] {
        if !present {
            let detail = format_args!("goosePdu has no {name}");
            report(sink, PROTOCOL, "missing_field", Some(HEADER_LEN), &detail);
        }
    }
    let mut time = StackText {
        bytes: [0; 40],
        len: 0,
    };
    if let Some(t) = pdu.t {
        let at = Timestamp::from_parts(t.seconds.into(), t.nanos());
        let _ = write!(time, "{at}");
    }
    let mut f: FieldList<'_, 32> = FieldList::default();
    f.push("appid", Value::U64(header.appid.into()));
    f.push("length", Value::U64(header.length.into()));
    f.push("reserved1", Value::U64(header.reserved1.into()));
    f.push("reserved2", Value::U64(header.reserved2.into()));
    f.push("simulation", Value::Bool(header.simulation()));
    for (name, value) in [
        ("gocb_ref", pdu.gocb_ref),
        ("dat_set", pdu.dat_set),
        ("go_id", pdu.go_id),
    ] {
        if let Some(v) = value {
            f.push(name, text_or_hex(v));
        }
    }
    if let Some(t) = pdu.t {
        f.push("t", Value::Str(time.as_str()));
        f.push("time_quality", Value::U64(t.quality.into()));
    }
    for (name, value) in [
        ("time_allowed_to_live", pdu.time_allowed_to_live),
        ("st_num", pdu.st_num),
        ("sq_num", pdu.sq_num),
        ("conf_rev", pdu.conf_rev),
        ("num_dat_set_entries", pdu.num_dat_set_entries),
        ("all_data_count", count),
    ] {
        if let Some(v) = value {
            f.push(name, Value::U64(v));
        }
    }
    f.push("test", Value::Bool(pdu.test.unwrap_or(false)));
    if let Some(nds) = pdu.nds_com {
        f.push("nds_com", Value::Bool(nds));
    }
    if listed > 0 {
        f.push("all_data_types", Value::Strs(&types[..listed]));
    }
    f.push("security", Value::Bool(pdu.security));
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "goose",
        direction: None,
        activity: None,
        fields: f.fields(),
    }));
    // Publishing a GOOSE control block is what IEDs do.
    let sender = Subject::Client;
    identify(
        sink,
        PROTOCOL,
        sender,
        Attribute::Role,
        "goose publisher",
        Confidence::STATED,
    );
    identify(
        sink,
        PROTOCOL,
        sender,
        Attribute::DeviceType,
        "ied",
        Confidence::STRONG,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_dissect::Mac;
    use rampart_event::CollectingSink;

    /// A GOOSE frame payload: header (IEC 61850-8-1 §C.2.2) and a goosePdu (§C.2.3).
    fn goose(reserved1: u16, extra_length: u16, entries: u8) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&[0x80, 0x05, b'I', b'E', b'D', b'/', b'G']); // gocbRef
        body.extend_from_slice(&[0x81, 0x02, 0x07, 0xd0]); // timeAllowedtoLive 2000 ms
        body.extend_from_slice(&[0x82, 0x02, b'D', b'S']); // datSet
        body.extend_from_slice(&[0x84, 0x08, 0x48, 0x80, 0x8d, 0x67, 0x40, 0x00, 0x00, 0x0a]); // t
        body.extend_from_slice(&[0x85, 0x01, 0x07, 0x86, 0x01, 0x00]); // stNum 7, sqNum 0
        body.extend_from_slice(&[0x87, 0x01, 0x00, 0x88, 0x01, 0x01, 0x89, 0x01, 0x00]); // test, confRev, ndsCom
        body.extend_from_slice(&[0x8a, 0x01, entries]); // numDatSetEntries
        body.extend_from_slice(&[0xab, 0x06, 0x83, 0x01, 0x01, 0x84, 0x01, 0x00]); // boolean, bit-string
        let mut pdu = vec![0x61, u8::try_from(body.len()).expect("small")];
        pdu.extend_from_slice(&body);
        let length = u16::try_from(pdu.len() + 8).expect("small") + extra_length;
        let mut out = vec![0x30, 0x01];
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&reserved1.to_be_bytes());
        out.extend_from_slice(&[0x00, 0x00]);
        out.extend_from_slice(&pdu);
        out
    }

    fn run(payload: &[u8]) -> CollectingSink {
        let mut sink = CollectingSink::default();
        let frame = Frame {
            src: Mac([0, 0x0a, 0xdc, 1, 2, 3]),
            dst: Mac([0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01]),
            vlan: None,
            payload,
        };
        dissect(&frame, &mut sink);
        sink
    }

    #[test]
    fn reports_a_goose_frame_and_its_publisher() {
        let mut payload = goose(0x0000, 0, 2);
        payload.extend_from_slice(&[0; 6]); // Ethernet padding
        let sink = run(&payload);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record goose goose transaction {"appid":12289,"length":61,"reserved1":0,"reserved2":0,"simulation":false,"gocb_ref":"IED/G","dat_set":"DS","t":"2008-07-18T12:32:39.250000Z","time_quality":10,"time_allowed_to_live":2000,"st_num":7,"sq_num":0,"conf_rev":1,"num_dat_set_entries":2,"all_data_count":2,"test":false,"nds_com":false,"all_data_types":["boolean","bit_string"],"security":false}"#
            ]
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity goose Client role goose publisher",
                "identity goose Client device_type ied"
            ]
        );
        assert!(sink.matching("anomaly").is_empty(), "{:?}", sink.lines);
    }

    #[test]
    fn flags_simulation_and_mismatched_counts() {
        let sink = run(&goose(0x8000, 0, 3));
        assert!(sink.matching("record")[0].contains(r#""simulation":true"#));
        assert_eq!(sink.anomalies("entries_mismatch"), 1);
        let sink = run(&goose(0, 9, 2));
        assert_eq!(sink.anomalies("length_mismatch"), 1);
        assert_eq!(sink.matching("record").len(), 1, "the frame still parses");
    }

    #[test]
    fn reports_broken_frames_without_a_record() {
        assert_eq!(run(&[0x30, 0x01, 0x00]).anomalies("truncated"), 1);
        let mut payload = goose(0, 0, 2);
        payload[9] = 0x7f; // goosePdu length beyond the frame
        let sink = run(&payload);
        assert_eq!(sink.anomalies("ber_truncated"), 1);
        assert!(sink.matching("record").is_empty());
    }
}
