//! ISO transport on TCP port 102: TPKT (RFC 1006) framing and the connection-oriented
//! transport protocol COTP (ISO 8073 / ITU-T X.224) class 0, shared by S7comm, S7comm-plus
//! and MMS.
//!
//! Owns the layers under those three protocols, which are not registrations of their own: a
//! flow on port 102 is one of them, and which one shows only in the first DT payload, after
//! the connection handshake. So this module offers the three probes one helper,
//! [`first_payload`], that walks past CR/CC (answering "need more" until data comes), and the
//! three dissectors one framer, [`CotpStream`], that splits the stream into TPKTs (bounded by
//! their 16-bit length, at least 7 octets), reads each TPDU (CR, CC, DR, DC, ER, DT with EOT
//! and TPDU number; ED/AK/… are anomalies in class 0), reassembles DT segments until EOT (at
//! most 64 KiB) and hands each whole transport unit up.
//!
//! Records, under the name of the protocol above:
//! - `cotp_connect`: a CR and its CC as one transaction (or either alone, with direction;
//!   an unconfirmed CR at flow end): `calling_tsap`, `called_tsap` (text when printable,
//!   else hex), `source_reference`, `destination_reference`, `class`, `tpdu_size` (octets
//!   proposed), `negotiated_tpdu_size`, `confirmed`; for S7comm also `connection_type`,
//!   `rack` and `slot` read from a two-octet called TSAP (second octet `rack * 32 + slot`).
//! - `cotp_disconnect` (DR): `source_reference`, `destination_reference`, `reason`,
//!   `reason_name`; `cotp_disconnect_confirm` (DC) the references.
//! - `cotp_error` (ER): `destination_reference`, `cause`, `cause_name`.
//!
//! Anomalies: `bad_tpkt_version`, `bad_tpkt_length`, `bad_length_indicator`,
//! `short_tpdu_header`, `bad_parameter`, `unexpected_tpdu`, `reassembly_overflow`. After a
//! bad TPKT or a gap the framer resynchronises on the next plausible TPKT header.
//!
//! Written here because no maintained crate parses TPKT/COTP: the Rust ISO-on-TCP clients
//! build these headers rather than read hostile ones, and a monitor must take any byte
//! stream, report where it breaks and carry on.

mod message;
mod parse;
mod stream;

pub(crate) use stream::{CotpStream, Link};

/// What the first bytes of a direction show of the ISO transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peek<'a> {
    /// Not TPKT/COTP.
    NotCotp,
    /// TPKT/COTP so far, but no DT payload yet (a CR or CC, or a unit still arriving).
    Handshake,
    /// The start of the first non-empty DT payload (possibly cut short).
    Payload(&'a [u8]),
}

/// TPKTs examined before a probe gives up looking for data.
const MAX_PEEKED_UNITS: usize = 16;

/// Walk the TPKTs at the start of `data` past connection and disconnection TPDUs and empty
/// DTs, to the first DT payload: what the probes of the protocols on port 102 look at.
pub(crate) fn first_payload(data: &[u8]) -> Peek<'_> {
    let mut at = 0;
    for _ in 0..MAX_PEEKED_UNITS {
        let rest = data.get(at..).unwrap_or_default();
        let len = match parse::tpkt(rest, at) {
            Ok(Some(len)) => len,
            Ok(None) if rest.get(1).is_none_or(|&r| r == 0) => return Peek::Handshake,
            Ok(None) | Err(_) => return Peek::NotCotp,
        };
        if rest.get(1) != Some(&0) {
            return Peek::NotCotp;
        }
        let (Some(&li), Some(&code)) = (rest.get(4), rest.get(5)) else {
            return Peek::Handshake;
        };
        let header_end = parse::TPKT_HEADER_LEN + 1 + usize::from(li);
        if header_end > len {
            return Peek::NotCotp;
        }
        match code >> 4 {
            0xf => {
                let end = len.min(rest.len());
                match rest.get(header_end..end) {
                    Some(payload) if !payload.is_empty() => return Peek::Payload(payload),
                    _ if end < len || rest.len() < header_end => return Peek::Handshake,
                    _ => {}
                }
            }
            0x7 | 0x8 | 0xc | 0xd | 0xe => {
                if rest.len() < len {
                    return Peek::Handshake;
                }
            }
            _ => return Peek::NotCotp,
        }
        at += len;
    }
    Peek::NotCotp
}

/// A TPKT (RFC 1006) holding one class 0 DT with EOT (ISO 8073 §13.7) around `payload`:
/// how the tests of the protocols COTP carries frame their messages.
#[cfg(test)]
pub(crate) fn test_dt(payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 7).expect("small");
    let mut out = vec![0x03, 0x00];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[0x02, 0xf0, 0x80]);
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_past_the_handshake_to_the_first_data() {
        let cr = [
            0x03, 0x00, 0x00, 0x16, // TPKT, 22 octets
            0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00, // CR
            0xc0, 0x01, 0x0a, 0xc1, 0x02, 0x01, 0x00, 0xc2, 0x02, 0x01, 0x02, // parameters
        ];
        assert_eq!(first_payload(&cr), Peek::Handshake);
        assert_eq!(first_payload(&cr[..10]), Peek::Handshake);
        let mut stream = cr.to_vec();
        stream.extend_from_slice(&[0x03, 0x00, 0x00, 0x07, 0x02, 0xf0, 0x00]); // empty DT
        stream.extend_from_slice(&[0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x32, 0x01]);
        assert_eq!(first_payload(&stream), Peek::Payload(&[0x32, 0x01]));
        assert_eq!(first_payload(&stream[..30]), Peek::Handshake);
    }

    #[test]
    fn refuses_what_is_not_tpkt() {
        assert_eq!(first_payload(b"GET / HTTP/1.1"), Peek::NotCotp);
        assert_eq!(first_payload(&[0x03, 0x01, 0x00, 0x07]), Peek::NotCotp);
        assert_eq!(
            first_payload(&[0x03, 0x00, 0x00, 0x07, 0x02, 0x30, 0x80]),
            Peek::NotCotp
        );
        assert_eq!(first_payload(&[0x03]), Peek::Handshake);
        assert_eq!(first_payload(&[]), Peek::Handshake);
    }
}
