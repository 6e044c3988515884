//! FINS frames as pure functions over bytes: the 10-byte FINS header (W342 §5-1), the
//! command and response parameters a monitor records, and the FINS/TCP framing (§7-4).

use rampart_dissect::{Reader, Truncated};

use super::message::response_is_bare;

/// The FINS/TCP magic, "FINS".
pub const TCP_MAGIC: &[u8; 4] = b"FINS";
/// The FINS/TCP header: magic, length, command, error code.
pub const TCP_HEADER_LEN: usize = 16;
/// FINS header plus command code.
pub const MIN_FRAME: usize = 12;

/// Why a frame could not be read, located in the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FinsError {
    /// A field runs past the end of the frame.
    #[error("{field}: needs {needed} bytes at offset {offset}, {available} available")]
    Truncated {
        /// The field.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes that remained.
        available: usize,
    },
    /// Bytes after what the command or response defines.
    #[error("{len} bytes after the {what} at offset {offset}")]
    TrailingData {
        /// What they follow.
        what: &'static str,
        /// Where they start.
        offset: usize,
        /// How many.
        len: usize,
    },
}

impl FinsError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            FinsError::Truncated { .. } => "truncated",
            FinsError::TrailingData { .. } => "trailing_data",
        }
    }

    /// Return the offset in the frame.
    pub fn offset(&self) -> usize {
        match *self {
            FinsError::Truncated { offset, .. } | FinsError::TrailingData { offset, .. } => offset,
        }
    }
}

impl From<Truncated> for FinsError {
    fn from(t: Truncated) -> FinsError {
        FinsError::Truncated {
            field: t.field,
            offset: t.offset,
            needed: t.needed,
            available: t.available,
        }
    }
}

/// The FINS header and command code (W342 §5-1-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Information control field: bit 7 gateway, bit 6 response, bit 0 no response needed.
    pub icf: u8,
    /// Reserved (0).
    pub rsv: u8,
    /// Gateway count.
    pub gct: u8,
    /// Destination network, node, unit.
    pub destination: [u8; 3],
    /// Source network, node, unit.
    pub source: [u8; 3],
    /// Service id, echoed by the response.
    pub sid: u8,
    /// Command code (MRC, SRC).
    pub command: u16,
}

impl Header {
    /// Tell whether the frame is a response.
    pub fn is_response(&self) -> bool {
        self.icf & 0x40 != 0
    }

    /// Tell whether the command asks for a response.
    pub fn response_required(&self) -> bool {
        self.icf & 0x01 == 0
    }

    /// Return the reserved ICF bits that are set (bits 5–1 shall be zero).
    pub fn reserved_bits(&self) -> u8 {
        self.icf & 0x3e
    }
}

/// Read the header of a FINS frame.
pub fn header(frame: &[u8]) -> Result<Header, FinsError> {
    let mut r = Reader::new(frame);
    let h = r.bytes("FINS header", MIN_FRAME)?;
    Ok(Header {
        icf: h[0],
        rsv: h[1],
        gct: h[2],
        destination: [h[3], h[4], h[5]],
        source: [h[6], h[7], h[8]],
        sid: h[9],
        command: u16::from_be_bytes([h[10], h[11]]),
    })
}

/// The parameters of a command a monitor records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Command {
    /// Memory or parameter area code.
    pub area: Option<u8>,
    /// Parameter area code (0201–0203).
    pub parameter_area: Option<u16>,
    /// Beginning word address.
    pub address: Option<u16>,
    /// Beginning bit.
    pub bit: Option<u8>,
    /// Number of items, words or bytes.
    pub count: Option<u16>,
    /// Program number (0304–0308, 0401).
    pub program: Option<u16>,
    /// Run mode asked for (0401): 02 monitor, 04 run.
    pub mode: Option<u8>,
    /// Clock set (0702): year, month, day, hour, minute, second as BCD.
    pub clock: Option<[u8; 6]>,
    /// The command carries a password (program area protect and clear protect).
    pub password: bool,
    /// Elements of a multiple memory area read.
    pub elements: Option<usize>,
}

/// Read the parameters of command `code` from `data`, at `base` in the frame.
pub fn command(code: u16, data: &[u8], base: usize) -> Result<Command, FinsError> {
    let mut r = Reader::new(data);
    let at = |e: Truncated| located(e, base);
    let mut c = Command::default();
    match code {
        // Memory area read, write, fill (W342 §5-3-2 to §5-3-4): area, address, bit, count.
        0x0101..=0x0103 => {
            c.area = Some(r.u8("memory area code").map_err(at)?);
            c.address = Some(r.u16("beginning address").map_err(at)?);
            c.bit = Some(r.u8("beginning bit").map_err(at)?);
            c.count = Some(r.u16("number of items").map_err(at)?);
        }
        // Multiple memory area read (§5-3-5): area, address, bit per element.
        0x0104 => c.elements = Some(data.len() / 4),
        // Memory area transfer (§5-3-6): the source area first.
        0x0105 => {
            c.area = Some(r.u8("memory area code").map_err(at)?);
            c.address = Some(r.u16("beginning address").map_err(at)?);
            c.bit = Some(r.u8("beginning bit").map_err(at)?);
        }
        // Parameter area read, write, clear (§5-3-7 to §5-3-9).
        0x0201..=0x0203 => {
            c.parameter_area = Some(r.u16("parameter area code").map_err(at)?);
            c.address = Some(r.u16("beginning word").map_err(at)?);
            c.count = Some(r.u16("number of words").map_err(at)? & 0x7fff);
        }
        // Program area protect and clear protect (§5-3-10, §5-3-11): program number,
        // protect code, beginning and last word, password.
        0x0304 | 0x0305 => {
            c.program = Some(r.u16("program number").map_err(at)?);
            c.password = data.len() >= 15;
        }
        // Program area read, write (§5-3-12, §5-3-13): program number, beginning word,
        // number of bytes.
        0x0306 | 0x0307 => {
            c.program = Some(r.u16("program number").map_err(at)?);
            let begin = r.u32("beginning word").map_err(at)?;
            c.address = Some((begin & 0xffff) as u16);
            c.count = Some(r.u16("number of bytes").map_err(at)? & 0x7fff);
        }
        0x0308 => c.program = Some(r.u16("program number").map_err(at)?),
        // Run (§5-3-14): program number and mode, both optional.
        0x0401 => {
            if r.remaining() >= 2 {
                c.program = Some(r.u16("program number").map_err(at)?);
            }
            if r.remaining() >= 1 {
                c.mode = Some(r.u8("mode").map_err(at)?);
            }
        }
        // Clock write (§5-3-20): year, month, day, hour, minute (second, day optional).
        0x0702 => {
            let b = r.bytes("clock", 5).map_err(at)?;
            let second = if r.remaining() >= 1 {
                r.u8("second").map_err(at)?
            } else {
                0
            };
            c.clock = Some([b[0], b[1], b[2], b[3], b[4], second]);
        }
        _ => {}
    }
    Ok(c)
}

fn located(e: Truncated, base: usize) -> FinsError {
    FinsError::Truncated {
        field: e.field,
        offset: base + e.offset,
        needed: e.needed,
        available: e.available,
    }
}

/// The fields of a response a monitor records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Response<'a> {
    /// End code: main (MRES) and sub (SRES) response codes.
    pub end_code: u16,
    /// Controller data read: the model.
    pub model: Option<&'a [u8]>,
    /// Controller data read: the version.
    pub version: Option<&'a [u8]>,
    /// Controller status read: status and mode.
    pub status: Option<(u8, u8)>,
    /// Clock read: year, month, day, hour, minute, second as BCD.
    pub clock: Option<[u8; 6]>,
    /// What follows the end code.
    pub data: &'a [u8],
}

/// Read the response to command `code` from what follows the command code.
pub fn response(code: u16, data: &[u8], base: usize) -> Result<Response<'_>, FinsError> {
    let mut r = Reader::new(data);
    let end_code = r.u16("end code").map_err(|e| located(e, base))?;
    let rest = r.rest();
    let mut out = Response {
        end_code,
        data: rest,
        ..Response::default()
    };
    // Only a normal completion carries the data the command asked for.
    if end_code & 0x7f7f != 0 {
        return Ok(out);
    }
    let at = |e: Truncated| located(e, base + 2);
    let mut d = Reader::new(rest);
    match code {
        // Controller data read (§5-3-15): model and version, 20 bytes each, first.
        0x0501 if !rest.is_empty() => {
            out.model = Some(until_nul(d.bytes("controller model", 20).map_err(at)?));
            out.version = Some(until_nul(d.bytes("controller version", 20).map_err(at)?));
        }
        // Controller status read (§5-3-17): status, mode.
        0x0601 => {
            let status = d.u8("status").map_err(at)?;
            let mode = d.u8("mode").map_err(at)?;
            out.status = Some((status, mode));
        }
        // Clock read (§5-3-19): year, month, day, hour, minute, second, day of week.
        0x0701 => {
            let b = d.bytes("clock", 6).map_err(at)?;
            out.clock = Some([b[0], b[1], b[2], b[3], b[4], b[5]]);
        }
        c if response_is_bare(c) && !rest.is_empty() => {
            return Err(FinsError::TrailingData {
                what: "end code",
                offset: base + 2,
                len: rest.len(),
            });
        }
        _ => {}
    }
    Ok(out)
}

/// Cut a fixed-size text field at its first NUL.
fn until_nul(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n])
}

/// The FINS/TCP header (W342 §7-4-2): the length counts what follows the length field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpHeader {
    /// The length field.
    pub length: u32,
    /// The FINS/TCP command.
    pub command: u32,
    /// The error code.
    pub error: u32,
}

/// Read a FINS/TCP header, or `None` if the magic is missing.
pub fn tcp_header(data: &[u8]) -> Result<Option<TcpHeader>, FinsError> {
    let mut r = Reader::new(data);
    if r.bytes("magic", 4)? != TCP_MAGIC {
        return Ok(None);
    }
    Ok(Some(TcpHeader {
        length: r.u32("length")?,
        command: r.u32("command")?,
        error: r.u32("error code")?,
    }))
}

/// Render BCD clock bytes as `20YY-MM-DD HH:MM:SS` (years 98 and 99 are 19xx).
pub fn write_clock(b: [u8; 6], out: &mut String) {
    use std::fmt::Write as _;
    let bcd = |v: u8| u32::from(v >> 4) * 10 + u32::from(v & 0x0f);
    let year = bcd(b[0]);
    let century = if year >= 98 { 1900 } else { 2000 };
    let _ = write!(
        out,
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        century + year,
        bcd(b[1]),
        bcd(b[2]),
        bcd(b[3]),
        bcd(b[4]),
        bcd(b[5])
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A memory area read of DM 100, 10 words, from the nDPI trace layout (W342 §5-3-2).
    const READ: [u8; 18] = [
        0x80, 0x00, 0x02, // ICF command, response required; RSV; GCT 2
        0x00, 0x7a, 0x00, // destination net 0, node 0x7a, unit 0
        0x00, 0x01, 0x00, // source net 0, node 1, unit 0
        0x07, // SID 7
        0x01, 0x01, // memory area read
        0x82, 0x00, 0x64, 0x00, // DM word area, address 100, bit 0
        0x00, 0x0a, // 10 items
    ];

    #[test]
    fn reads_the_header_and_a_memory_area_read() {
        let h = header(&READ).expect("valid");
        assert!(!h.is_response() && h.response_required());
        assert_eq!((h.destination, h.sid, h.command), ([0, 0x7a, 0], 7, 0x0101));
        let c = command(h.command, &READ[MIN_FRAME..], MIN_FRAME).expect("valid");
        assert_eq!(
            (c.area, c.address, c.count),
            (Some(0x82), Some(100), Some(10))
        );
        let err = command(0x0101, &READ[MIN_FRAME..15], MIN_FRAME).expect_err("cut");
        assert_eq!(
            err,
            FinsError::Truncated {
                field: "beginning bit",
                offset: 15,
                needed: 1,
                available: 0
            }
        );
    }

    #[test]
    fn reads_controller_data_and_status_responses() {
        let mut data = vec![0x00, 0x00]; // end code: normal completion
        data.extend_from_slice(b"CP1L-EL20DR-D\0\0\0    "); // model, 20 bytes
        data.extend_from_slice(b"01.00\0\0\0\0\0\x301.06\0\0\0\0\0"); // version, 20 bytes
        let r = response(0x0501, &data, 12).expect("valid");
        assert_eq!(
            (r.model, r.version),
            (Some(&b"CP1L-EL20DR-D"[..]), Some(&b"01.00"[..]))
        );
        let r = response(0x0601, &[0x00, 0x00, 0x01, 0x04], 12).expect("valid");
        assert_eq!(r.status, Some((1, 4)));
        let r = response(0x0601, &[0x22, 0x03], 12).expect("an error end code");
        assert_eq!((r.end_code, r.status), (0x2203, None));
    }

    #[test]
    fn flags_data_after_a_bare_response() {
        let err = response(0x2602, b"\0\0setname1", 12).expect_err("trailing");
        assert_eq!(
            err,
            FinsError::TrailingData {
                what: "end code",
                offset: 14,
                len: 8
            }
        );
    }

    #[test]
    fn reads_the_tcp_header_and_bcd_clocks() {
        let h = tcp_header(b"FINS\0\0\0\x0c\0\0\0\0\0\0\0\0").expect("valid");
        assert_eq!(h.map(|h| (h.length, h.command)), Some((12, 0)));
        assert_eq!(tcp_header(b"GET / HTTP/1.1\r\n"), Ok(None));
        let mut s = String::new();
        write_clock([0x24, 0x03, 0x09, 0x13, 0x05, 0x30], &mut s);
        assert_eq!(s, "2024-03-09 13:05:30");
    }
}
