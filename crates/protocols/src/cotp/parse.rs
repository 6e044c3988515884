//! Pure functions over `&[u8]`: the TPKT header (RFC 1006 §6) and one TPDU (ISO 8073 §13).

use super::message::{Connect, Disconnect, Rejection, Tpdu, TpduCode, param};

/// Octets of the TPKT header: version, reserved, length.
pub const TPKT_HEADER_LEN: usize = 4;
/// The shortest TPKT that holds a TPDU: the header and a class 0 DT header (LI, code, EOT/NR).
pub const MIN_TPKT_LEN: usize = 7;
/// The only TPKT version (RFC 1006 §6).
pub const TPKT_VERSION: u8 = 3;

/// Why a TPKT or TPDU could not be read, located in the bytes fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CotpError {
    /// The first octet is not TPKT version 3.
    #[error("TPKT version {version} at offset {offset} is not 3")]
    TpktVersion {
        /// Where the TPKT starts.
        offset: usize,
        /// The version octet.
        version: u8,
    },
    /// The TPKT length cannot even hold a TPDU header.
    #[error("TPKT length {length} at offset {offset} is below the 7-octet minimum")]
    TpktLength {
        /// Where the TPKT starts.
        offset: usize,
        /// The length field.
        length: u16,
    },
    /// The COTP length indicator claims more than the TPKT holds.
    #[error(
        "COTP length indicator {li} at offset {offset} exceeds the {available} octets after it"
    )]
    LengthIndicator {
        /// Where the TPDU starts.
        offset: usize,
        /// The length indicator.
        li: u8,
        /// Octets of the TPKT after the length indicator.
        available: usize,
    },
    /// The header is shorter than its TPDU type's fixed part.
    #[error(
        "COTP {tpdu} header of {li} octets at offset {offset} is shorter than the {needed} it needs"
    )]
    ShortHeader {
        /// Where the TPDU starts.
        offset: usize,
        /// The TPDU type.
        tpdu: TpduCode,
        /// The length indicator.
        li: u8,
        /// The fixed part's length.
        needed: usize,
    },
    /// A parameter of the variable part runs past the header.
    #[error(
        "COTP {tpdu} parameter {code:#04x} at offset {offset} claims {claimed} octets, {available} remain"
    )]
    Parameter {
        /// Where the parameter starts.
        offset: usize,
        /// The TPDU type.
        tpdu: TpduCode,
        /// The parameter code.
        code: u8,
        /// Its length octet.
        claimed: usize,
        /// Octets left in the header.
        available: usize,
    },
}

impl CotpError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            CotpError::TpktVersion { .. } => "bad_tpkt_version",
            CotpError::TpktLength { .. } => "bad_tpkt_length",
            CotpError::LengthIndicator { .. } => "bad_length_indicator",
            CotpError::ShortHeader { .. } => "short_tpdu_header",
            CotpError::Parameter { .. } => "bad_parameter",
        }
    }

    /// Return the offset of the offending field.
    pub fn offset(&self) -> usize {
        match *self {
            CotpError::TpktVersion { offset, .. }
            | CotpError::TpktLength { offset, .. }
            | CotpError::LengthIndicator { offset, .. }
            | CotpError::ShortHeader { offset, .. }
            | CotpError::Parameter { offset, .. } => offset,
        }
    }
}

/// Read the TPKT header at the start of `data`, which is at `offset` in the bytes fed: the
/// whole TPKT's length, or `None` when fewer than four octets are there. A non-zero reserved
/// octet is tolerated (RFC 1006 says only that it is reserved).
pub fn tpkt(data: &[u8], offset: usize) -> Result<Option<usize>, CotpError> {
    let Some(&[version, _reserved, hi, lo]) = data.get(..TPKT_HEADER_LEN) else {
        return match data.first() {
            Some(&version) if version != TPKT_VERSION => {
                Err(CotpError::TpktVersion { offset, version })
            }
            _ => Ok(None),
        };
    };
    if version != TPKT_VERSION {
        return Err(CotpError::TpktVersion { offset, version });
    }
    let length = u16::from_be_bytes([hi, lo]);
    if usize::from(length) < MIN_TPKT_LEN {
        return Err(CotpError::TpktLength { offset, length });
    }
    Ok(Some(usize::from(length)))
}

/// Tell whether `data` starts with something that reads as a TPKT holding a TPDU whose code
/// class 0 uses: what resynchronisation looks for.
pub fn plausible_start(data: &[u8]) -> bool {
    let Some(&[TPKT_VERSION, 0, hi, lo, li, code]) = data.get(..6) else {
        return false;
    };
    let length = usize::from(u16::from_be_bytes([hi, lo]));
    length >= MIN_TPKT_LEN
        && usize::from(li) < length - TPKT_HEADER_LEN
        && matches!(code >> 4, 0x7 | 0x8 | 0xc | 0xd | 0xe | 0xf)
}

/// Read one TPDU: `unit` is a TPKT's payload, at `offset` in the bytes fed.
pub fn tpdu(unit: &[u8], offset: usize) -> Result<Tpdu<'_>, CotpError> {
    let (&li, rest) = unit.split_first().ok_or(CotpError::LengthIndicator {
        offset,
        li: 0,
        available: 0,
    })?;
    let header = rest
        .get(..usize::from(li))
        .filter(|h| !h.is_empty())
        .ok_or(CotpError::LengthIndicator {
            offset,
            li,
            available: rest.len(),
        })?;
    let payload = rest.get(usize::from(li)..).unwrap_or_default();
    let code = TpduCode(header[0] >> 4);
    let short = |needed: usize| CotpError::ShortHeader {
        offset,
        tpdu: code,
        li,
        needed,
    };
    let u16_at = |i: usize| {
        header
            .get(i..i + 2)
            .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
    };
    match code {
        TpduCode::CR | TpduCode::CC => {
            if header.len() < 6 {
                return Err(short(6));
            }
            let mut c = Connect {
                dst_ref: u16_at(1),
                src_ref: u16_at(3),
                class: header[5] >> 4,
                options: header[5] & 0x0f,
                ..Connect::default()
            };
            parameters(&header[6..], offset + 7, code, |p, value| match p {
                param::TPDU_SIZE => c.tpdu_size = value.first().copied(),
                param::CALLING_TSAP => c.calling_tsap = Some(value),
                param::CALLED_TSAP => c.called_tsap = Some(value),
                param::PREFERRED_TPDU_SIZE if value.len() <= 4 => {
                    c.preferred_tpdu_size =
                        Some(value.iter().fold(0, |n, &b| (n << 8) | u32::from(b)));
                }
                _ => {}
            })?;
            Ok(if code == TpduCode::CR {
                Tpdu::ConnectRequest(c)
            } else {
                Tpdu::ConnectConfirm(c)
            })
        }
        TpduCode::DR => {
            if header.len() < 6 {
                return Err(short(6));
            }
            parameters(&header[6..], offset + 7, code, |_, _| {})?;
            Ok(Tpdu::DisconnectRequest(Disconnect {
                dst_ref: u16_at(1),
                src_ref: u16_at(3),
                reason: Some(header[5]),
            }))
        }
        TpduCode::DC => {
            if header.len() < 5 {
                return Err(short(5));
            }
            Ok(Tpdu::DisconnectConfirm(Disconnect {
                dst_ref: u16_at(1),
                src_ref: u16_at(3),
                reason: None,
            }))
        }
        TpduCode::ER => {
            if header.len() < 4 {
                return Err(short(4));
            }
            Ok(Tpdu::Error(Rejection {
                dst_ref: u16_at(1),
                cause: header[3],
            }))
        }
        TpduCode::DT => {
            // Class 0 has no destination reference (LI 2); classes 2-4 put one before the
            // EOT/NR octet (normal format LI 4, extended LI 7).
            let nr = match header.len() {
                2 | 3 => header[1],
                n if n >= 4 => header[3],
                _ => return Err(short(2)),
            };
            Ok(Tpdu::Data {
                eot: nr & 0x80 != 0,
                number: nr & 0x7f,
                payload,
            })
        }
        other => Ok(Tpdu::Other(other)),
    }
}

/// Walk the variable part of a header (ISO 8073 §13.2.3): code, length, value, repeated.
fn parameters<'a>(
    mut part: &'a [u8],
    mut offset: usize,
    tpdu: TpduCode,
    mut each: impl FnMut(u8, &'a [u8]),
) -> Result<(), CotpError> {
    while let Some((&code, rest)) = part.split_first() {
        let Some((&len, rest)) = rest.split_first() else {
            return Err(CotpError::Parameter {
                offset,
                tpdu,
                code,
                claimed: 1,
                available: 0,
            });
        };
        let len = usize::from(len);
        let Some(value) = rest.get(..len) else {
            return Err(CotpError::Parameter {
                offset,
                tpdu,
                code,
                claimed: len,
                available: rest.len(),
            });
        };
        each(code, value);
        part = &rest[len..];
        offset += 2 + len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_connection_request_with_s7_tsaps() {
        // ISO 8073 §13.3: CR of a Step 7 client to rack 0, slot 2.
        let unit = [
            0x11, // LI 17
            0xe0, // CR, credit 0
            0x00, 0x00, // destination reference
            0x00, 0x07, // source reference 7
            0x00, // class 0, no options
            0xc1, 0x02, 0x01, 0x00, // calling TSAP 01.00
            0xc2, 0x02, 0x01, 0x02, // called TSAP 01.02: PG connection, rack 0 slot 2
            0xc0, 0x01, 0x0a, // TPDU size 2^10
        ];
        let Ok(Tpdu::ConnectRequest(c)) = tpdu(&unit, 4) else {
            panic!("a CR");
        };
        assert_eq!(c.src_ref, 7);
        assert_eq!(c.class, 0);
        assert_eq!(c.calling_tsap, Some(&[0x01, 0x00][..]));
        assert_eq!(c.called_tsap, Some(&[0x01, 0x02][..]));
        assert_eq!(c.max_tpdu_octets(), Some(1024));
    }

    #[test]
    fn reads_class_0_and_class_2_data_headers() {
        // §13.7: class 0 DT (LI 2) with EOT, then a normal-format DT (LI 4) without.
        assert_eq!(
            tpdu(&[0x02, 0xf0, 0x80, 0x32, 0x01], 0),
            Ok(Tpdu::Data {
                eot: true,
                number: 0,
                payload: &[0x32, 0x01]
            })
        );
        assert_eq!(
            tpdu(&[0x04, 0xf0, 0x00, 0x07, 0x05, 0xaa], 0),
            Ok(Tpdu::Data {
                eot: false,
                number: 5,
                payload: &[0xaa]
            })
        );
    }

    #[test]
    fn locates_a_parameter_that_runs_past_the_header() {
        let unit = [0x08, 0xe0, 0, 0, 0, 1, 0, 0xc1, 0x05];
        assert_eq!(
            tpdu(&unit, 10),
            Err(CotpError::Parameter {
                offset: 17,
                tpdu: TpduCode::CR,
                code: 0xc1,
                claimed: 5,
                available: 0,
            })
        );
    }

    #[test]
    fn rejects_a_length_indicator_beyond_the_unit() {
        let err = tpdu(&[0x09, 0xf0, 0x80], 4).expect_err("LI 9 of 2 octets");
        assert_eq!(err.code(), "bad_length_indicator");
        assert_eq!(err.offset(), 4);
    }

    #[test]
    fn reads_tpkt_headers_and_refuses_short_or_foreign_ones() {
        assert_eq!(tpkt(&[3, 0, 0, 0x16, 0x11], 0), Ok(Some(22)));
        assert_eq!(tpkt(&[3, 0], 0), Ok(None));
        assert_eq!(
            tpkt(&[3, 0, 0, 4], 8),
            Err(CotpError::TpktLength {
                offset: 8,
                length: 4
            })
        );
        assert_eq!(
            tpkt(b"GET /", 0),
            Err(CotpError::TpktVersion {
                offset: 0,
                version: b'G'
            })
        );
    }

    #[test]
    fn finds_plausible_tpkt_starts_only() {
        assert!(plausible_start(&[3, 0, 0, 7, 2, 0xf0, 0x80]));
        assert!(!plausible_start(&[3, 0, 0, 7, 2, 0x30, 0x80]));
        assert!(!plausible_start(&[3, 0, 0, 7, 9, 0xf0, 0x80]));
    }
}
