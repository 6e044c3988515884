//! Pure functions over `&[u8]`: the GOOSE header and the goosePdu (IEC 61850-8-1 Annex C).

use rampart_dissect::{Reader, Truncated};

use super::message::{GoosePdu, Header, UtcTime};
use crate::ber::{Ber, BerError, Class, Tlv};

/// Octets of the header before the goosePdu.
pub const HEADER_LEN: usize = 8;

/// Nesting levels of `allData` walked before the frame is called too deep.
pub const MAX_DEPTH: usize = 16;

/// Why a frame could not be read, located in the payload after the EtherType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GooseError {
    /// The header is cut short.
    #[error(transparent)]
    Header(#[from] Truncated),
    /// A BER element of the goosePdu.
    #[error(transparent)]
    Ber(#[from] BerError),
    /// `allData` nests deeper than [`MAX_DEPTH`].
    #[error("allData at offset {offset} nests deeper than {MAX_DEPTH} levels")]
    TooDeep {
        /// Where the element too deep starts.
        offset: usize,
    },
}

impl GooseError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            GooseError::Header(_) => "truncated",
            GooseError::Ber(e) => e.code(),
            GooseError::TooDeep { .. } => "data_too_deep",
        }
    }

    /// Return the offset of the offending field.
    pub fn offset(&self) -> usize {
        match *self {
            GooseError::Header(t) => t.offset,
            GooseError::Ber(e) => e.offset(),
            GooseError::TooDeep { offset } => offset,
        }
    }
}

/// Read the header.
pub fn header(payload: &[u8]) -> Result<Header, Truncated> {
    let mut r = Reader::new(payload);
    Ok(Header {
        appid: r.u16("APPID")?,
        length: r.u16("length")?,
        reserved1: r.u16("reserved 1")?,
        reserved2: r.u16("reserved 2")?,
    })
}

/// Read the goosePdu at the start of `apdu` (which is at `HEADER_LEN` in the payload): its
/// fields, and the `allData` element for [`data_types`].
pub fn pdu(apdu: &[u8]) -> Result<(GoosePdu<'_>, Option<Tlv<'_>>, usize), GooseError> {
    let outer = Ber::new(apdu, HEADER_LEN).expect(Class::Application, 1, "goosePdu")?;
    let end = outer.contents_offset + outer.contents.len() - HEADER_LEN;
    let mut g = GoosePdu::default();
    let mut all_data = None;
    let mut parts = outer.children();
    while !parts.is_empty() {
        let p = parts.next("goosePdu field")?;
        if p.class != Class::Context {
            continue;
        }
        match p.number {
            0 => g.gocb_ref = Some(p.contents),
            1 => g.time_allowed_to_live = p.unsigned(),
            2 => g.dat_set = Some(p.contents),
            3 => g.go_id = Some(p.contents),
            4 => g.t = utc_time(p.contents),
            5 => g.st_num = p.unsigned(),
            6 => g.sq_num = p.unsigned(),
            7 => g.test = p.boolean(),
            8 => g.conf_rev = p.unsigned(),
            9 => g.nds_com = p.boolean(),
            10 => g.num_dat_set_entries = p.unsigned(),
            11 => all_data = Some(p),
            12 => g.security = true,
            _ => {}
        }
    }
    Ok((g, all_data, end))
}

/// Read a `UtcTime`: four octets of seconds, three of fraction, one of quality.
fn utc_time(contents: &[u8]) -> Option<UtcTime> {
    let b: &[u8; 8] = contents.try_into().ok()?;
    Some(UtcTime {
        seconds: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        fraction: u32::from_be_bytes([0, b[4], b[5], b[6]]),
        quality: b[7],
    })
}

/// Walk `allData`: call `entry` with the tag of each top-level value, and check the nesting
/// of arrays and structures below it without recursion, at most [`MAX_DEPTH`] levels deep.
/// Returns how many top-level values there are.
pub fn data_types(all_data: Tlv<'_>, mut entry: impl FnMut(u32)) -> Result<u64, GooseError> {
    let mut stack: [Option<Ber<'_>>; MAX_DEPTH] = Default::default();
    stack[0] = Some(all_data.children());
    let mut depth = 0;
    let mut top = 0;
    while let Some(level) = stack.get_mut(depth).and_then(Option::as_mut) {
        if level.is_empty() {
            if depth == 0 {
                break;
            }
            stack[depth] = None;
            depth -= 1;
            continue;
        }
        let value = level.next("data")?;
        if depth == 0 {
            top += 1;
            entry(value.number);
        }
        // Arrays [1] and structures [2] hold further Data values.
        if value.class == Class::Context && value.constructed && matches!(value.number, 1 | 2) {
            if depth + 1 >= MAX_DEPTH {
                return Err(GooseError::TooDeep {
                    offset: value.offset,
                });
            }
            depth += 1;
            stack[depth] = Some(value.children());
        }
    }
    Ok(top)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A goosePdu with the mandatory fields and two values, as an IED publishes it
    /// (IEC 61850-8-1 §C.2.3).
    fn pdu_bytes() -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&[0x80, 0x03, b'I', b'E', b'D']); // gocbRef
        body.extend_from_slice(&[0x81, 0x02, 0x07, 0xd0]); // timeAllowedtoLive 2000 ms
        body.extend_from_slice(&[0x82, 0x02, b'D', b'S']); // datSet
        body.extend_from_slice(&[0x84, 0x08, 0x48, 0x80, 0x8d, 0x67, 0x80, 0x00, 0x00, 0x0a]); // t
        body.extend_from_slice(&[0x85, 0x01, 0x07, 0x86, 0x01, 0x03]); // stNum 7, sqNum 3
        body.extend_from_slice(&[0x87, 0x01, 0xff, 0x88, 0x01, 0x01, 0x89, 0x01, 0x00]); // test, confRev 1, ndsCom
        body.extend_from_slice(&[0x8a, 0x01, 0x02]); // numDatSetEntries 2
        body.extend_from_slice(&[0xab, 0x08, 0x83, 0x01, 0x01, 0xa2, 0x03, 0x85, 0x01, 0x05]); // boolean, structure{integer}
        let mut pdu = vec![0x61, u8::try_from(body.len()).expect("small")];
        pdu.extend_from_slice(&body);
        pdu
    }

    #[test]
    fn reads_the_goose_pdu_fields() {
        let bytes = pdu_bytes();
        let (g, all, end) = pdu(&bytes).expect("parses");
        assert_eq!(end, bytes.len());
        assert_eq!((g.st_num, g.sq_num, g.test), (Some(7), Some(3), Some(true)));
        assert_eq!(g.time_allowed_to_live, Some(2000));
        let t = g.t.expect("a timestamp");
        assert_eq!(
            (t.seconds, t.nanos(), t.quality),
            (0x4880_8d67, 500_000_000, 0x0a)
        );
        let mut types = Vec::new();
        assert_eq!(data_types(all.expect("allData"), |t| types.push(t)), Ok(2));
        assert_eq!(types, vec![3, 2]);
    }

    #[test]
    fn refuses_data_nested_beyond_the_limit() {
        let mut inner = vec![0x83, 0x01, 0x00];
        for _ in 0..MAX_DEPTH + 1 {
            let mut wrapped = vec![0xa2, u8::try_from(inner.len()).expect("small")];
            wrapped.extend_from_slice(&inner);
            inner = wrapped;
        }
        let mut all = vec![0xab, u8::try_from(inner.len()).expect("small")];
        all.extend_from_slice(&inner);
        let t = Ber::new(&all, 0).next("allData").expect("reads");
        assert_eq!(
            data_types(t, |_| {}).map_err(|e| e.code()),
            Err("data_too_deep")
        );
    }

    #[test]
    fn reads_the_header_and_locates_a_short_one() {
        assert_eq!(
            header(&[0x30, 0x01, 0x00, 0xe3, 0x80, 0x00, 0x00, 0x00])
                .map(|h| (h.appid, h.simulation())),
            Ok((0x3001, true))
        );
        assert_eq!(header(&[0x30, 0x01, 0x00]).map_err(|e| e.offset), Err(2));
    }
}
