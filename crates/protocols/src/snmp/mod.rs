//! SNMP (RFC 1157, RFC 3416, RFC 3412), UDP 161 for agents and 162 for notifications: the
//! management protocol of network gear, printers, UPSs and many PLCs.
//!
//! One record per message, kind `pdu`, direction as sent, with fields `version` (`1`, `2c`,
//! `3`), `community`, the v3 header (`msg_id`, `msg_flags`, `auth`, `priv`, `security_model`,
//! `usm`, `engine_id`, `context_name`, `encrypted`), `pdu_type` (Suricata's names:
//! `get_request`, `get_next_request`, `response`, `set_request`, `trap_v1`,
//! `get_bulk_request`, `inform_request`, `trap_v2`, `report`) with its raw `pdu_code`,
//! `request_id`, `error_status` and `error_index` (`non_repeaters` and `max_repetitions` for
//! GetBulk), the SNMPv1 trap header (`enterprise`, `agent_addr`, `generic_trap`,
//! `specific_trap`, `time_stamp`), `var_count`, `vars` (the first 128 object names), and the
//! values of well-known objects: `sys_descr`, `sys_object_id`, `sys_uptime`, `sys_contact`,
//! `sys_name`, `sys_location`, `trap_oid`.
//!
//! A v1/v2c community string is a password in cleartext, so it becomes a
//! `cleartext_credential` finding (masked: `pu****`, flagged `default` for `public` and
//! `private`) about the side that accepts it: the receiver of a request or notification, the
//! sender of a response (then `accepted`). Each is reported once per flow, side and
//! acceptance. Responses and notifications also identify their sender: sysName as host name,
//! sysDescr as description with weak vendor, OS, model and firmware hints, and the private
//! enterprise number of sysObjectID as vendor.
//!
//! The BER is read by hand rather than with rusticata's `snmp-parser` 0.11, which is well kept
//! but all-or-nothing in ways that lose exactly what a monitor needs: a community that is not
//! UTF-8 fails the whole message (`StringInvalidCharset`), a negative request-id, legal for
//! an Integer32, fails it (`IntegerNegative`), one malformed variable binding fails it, and its
//! nom errors carry no offset. The reader here is bounded (definite lengths of at most four
//! bytes, integers of at most 64 bits, no recursion beyond the fixed message structure) and
//! allocates nothing. Anomalies: `truncated`, `bad_length`, `unexpected_tag`, `bad_integer`,
//! `bad_oid`, `unknown_version`, `unknown_pdu_type`, `pdu_not_in_version`, `trailing_data`.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The SNMP flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "snmp",
    transports: &[Transport::Udp],
    ports: &[161, 162],
    probe,
    new: |_| Box::<dissector::SnmpDissector>::default(),
    // Polling goes on for the life of the network; every response may carry news.
    limits: Limits::OT,
};

/// Recognise a BER SEQUENCE whose first element is the INTEGER 0, 1 or 3 (the version).
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let Some((&0x30, rest)) = data.split_first() else {
        return Probe::NotForUs;
    };
    let after_length = match rest.first() {
        Some(&len) if len < 0x80 => rest.get(1..),
        Some(&form @ 0x81..=0x84) => rest.get(1 + usize::from(form & 0x7f)..),
        _ => return Probe::NotForUs,
    };
    match after_length.and_then(|r| r.get(..3)) {
        Some([0x02, 0x01, 0 | 1 | 3]) => Probe::Certain,
        Some(_) => Probe::NotForUs,
        None => Probe::Unsure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_the_version_after_the_message_header() {
        let d = Direction::ToServer;
        assert_eq!(
            probe(d, &[0x30, 0x29, 0x02, 0x01, 0x01, 0x04]),
            Probe::Certain
        );
        assert_eq!(
            probe(d, &[0x30, 0x81, 0x90, 0x02, 0x01, 0x03]),
            Probe::Certain
        );
        assert_eq!(probe(d, &[0x30, 0x29, 0x02, 0x01, 0x02]), Probe::NotForUs);
        assert_eq!(probe(d, &[0x30, 0x29]), Probe::Unsure);
        assert_eq!(probe(d, b"GET /"), Probe::NotForUs);
        assert_eq!(probe(d, &[]), Probe::NotForUs);
    }
}
