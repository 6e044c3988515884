//! COTP TPDUs (ISO 8073 / X.224 §13) as typed values, and the code tables they use.

use std::fmt;

/// A TPDU code: the high nibble of the second header octet (ISO 8073 §13.2.2.2, table 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TpduCode(pub u8);

impl TpduCode {
    /// TPDU error.
    pub const ER: TpduCode = TpduCode(0x7);
    /// Disconnect request.
    pub const DR: TpduCode = TpduCode(0x8);
    /// Disconnect confirm.
    pub const DC: TpduCode = TpduCode(0xc);
    /// Connection confirm.
    pub const CC: TpduCode = TpduCode(0xd);
    /// Connection request.
    pub const CR: TpduCode = TpduCode(0xe);
    /// Data.
    pub const DT: TpduCode = TpduCode(0xf);

    /// Name the TPDU the way records spell it (`cr`, `dt`, …), or `None` when unassigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x1 => "ed",
            0x2 => "ea",
            0x5 => "rj",
            0x6 => "ak",
            0x7 => "er",
            0x8 => "dr",
            0xc => "dc",
            0xd => "cc",
            0xe => "cr",
            0xf => "dt",
            _ => return None,
        })
    }
}

impl fmt::Display for TpduCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:x} (unknown)", self.0),
        }
    }
}

/// Parameter codes of the CR and CC variable part (ISO 8073 §13.3.4, §13.4.4).
pub mod param {
    /// TPDU size, as a power of two (7 = 128 … 13 = 8192 octets).
    pub const TPDU_SIZE: u8 = 0xc0;
    /// Calling transport selector (TSAP of the initiator).
    pub const CALLING_TSAP: u8 = 0xc1;
    /// Called transport selector (TSAP of the responder).
    pub const CALLED_TSAP: u8 = 0xc2;
    /// Preferred maximum TPDU size, in multiples of 128 octets.
    pub const PREFERRED_TPDU_SIZE: u8 = 0xf0;
}

/// A CR or CC TPDU: who connects to whom, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Connect<'a> {
    /// Destination reference (zero in a CR).
    pub dst_ref: u16,
    /// Source reference.
    pub src_ref: u16,
    /// Protocol class, 0 to 4 (high nibble of the class octet).
    pub class: u8,
    /// Option bits (low nibble of the class octet).
    pub options: u8,
    /// Calling TSAP.
    pub calling_tsap: Option<&'a [u8]>,
    /// Called TSAP.
    pub called_tsap: Option<&'a [u8]>,
    /// TPDU size code (size is `1 << code`).
    pub tpdu_size: Option<u8>,
    /// Preferred maximum TPDU size, in multiples of 128 octets.
    pub preferred_tpdu_size: Option<u32>,
}

impl Connect<'_> {
    /// Return the maximum TPDU size in octets, when negotiated by either parameter.
    pub fn max_tpdu_octets(&self) -> Option<u64> {
        self.preferred_tpdu_size
            .map(|n| u64::from(n) * 128)
            .or(self.tpdu_size.filter(|c| *c < 32).map(|c| 1u64 << c))
    }
}

/// A DR or DC TPDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnect {
    /// Destination reference.
    pub dst_ref: u16,
    /// Source reference.
    pub src_ref: u16,
    /// Reason (DR only).
    pub reason: Option<u8>,
}

/// Name a disconnect reason (ISO 8073 §13.5.3 e).
pub fn disconnect_reason_name(reason: u8) -> Option<&'static str> {
    Some(match reason {
        0 => "reason_not_specified",
        1 => "congestion_at_tsap",
        2 => "session_entity_not_attached",
        3 => "address_unknown",
        128 => "normal",
        129 => "remote_congestion",
        130 => "connection_negotiation_failed",
        131 => "duplicate_source_reference",
        132 => "mismatched_references",
        133 => "protocol_error",
        135 => "reference_overflow",
        136 => "connection_request_refused",
        138 => "header_or_parameter_length_invalid",
        _ => return None,
    })
}

/// An ER TPDU: the peer rejects a TPDU it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    /// Destination reference.
    pub dst_ref: u16,
    /// Reject cause.
    pub cause: u8,
}

/// Name a reject cause (ISO 8073 §13.12.3 c).
pub fn reject_cause_name(cause: u8) -> Option<&'static str> {
    Some(match cause {
        0 => "reason_not_specified",
        1 => "invalid_parameter_code",
        2 => "invalid_tpdu_type",
        3 => "invalid_parameter_value",
        _ => return None,
    })
}

/// One TPDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tpdu<'a> {
    /// CR.
    ConnectRequest(Connect<'a>),
    /// CC.
    ConnectConfirm(Connect<'a>),
    /// DR.
    DisconnectRequest(Disconnect),
    /// DC.
    DisconnectConfirm(Disconnect),
    /// ER.
    Error(Rejection),
    /// DT: a segment of a transport service data unit.
    Data {
        /// Last segment of the unit (EOT).
        eot: bool,
        /// TPDU number (class 0 does not use it; it is kept for the record).
        number: u8,
        /// The user data.
        payload: &'a [u8],
    },
    /// A TPDU class 0 does not use (ED, AK, …) or an unassigned code.
    Other(TpduCode),
}

/// Render a transport selector: as text when it is printable ASCII (TIA Portal's
/// `SIMATIC-ROOT-ES`), otherwise as hex.
pub fn write_tsap(tsap: &[u8], out: &mut String) {
    use std::fmt::Write as _;
    let printable = !tsap.is_empty() && tsap.iter().all(|b| (0x20..0x7f).contains(b));
    if printable {
        out.extend(tsap.iter().map(|&b| char::from(b)));
    } else {
        let _ = write!(out, "{}", rampart_event::Hex(tsap));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tpdus_and_keeps_unknown_codes() {
        assert_eq!(TpduCode::CR.to_string(), "cr");
        assert_eq!(TpduCode(0x3).to_string(), "0x3 (unknown)");
        assert_eq!(disconnect_reason_name(128), Some("normal"));
        assert_eq!(reject_cause_name(9), None);
    }

    #[test]
    fn renders_binary_tsaps_as_hex_and_names_as_text() {
        let mut s = String::new();
        write_tsap(&[0x01, 0x02], &mut s);
        s.push(' ');
        write_tsap(b"SIMATIC-ROOT-ES", &mut s);
        assert_eq!(s, "0102 SIMATIC-ROOT-ES");
    }

    #[test]
    fn computes_tpdu_size_from_either_parameter() {
        let mut c = Connect {
            tpdu_size: Some(0x0a),
            ..Connect::default()
        };
        assert_eq!(c.max_tpdu_octets(), Some(1024));
        c.preferred_tpdu_size = Some(16);
        assert_eq!(c.max_tpdu_octets(), Some(2048));
    }
}
