//! Pure parsing of SLMP 3E and 4E frames, binary and ASCII: no state, no allocation.

use rampart_dissect::{Reader, Truncated};

use super::message::{Command, Devices, Frame, Header, Request, Response};

/// The largest data length read as SLMP: a batch write of 960 words is under 2 KB in binary
/// and twice that in ASCII; anything near 16 KB is not a message.
pub const MAX_DATA: usize = 16 * 1024;

/// Why the start of the data is not an SLMP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Not one of the four subheaders, binary or ASCII.
    #[error("subheader {0:02x?} at offset 0 is not 5000, D000, 5400 or D400")]
    Subheader([u8; 2]),
    /// An ASCII field holds something other than hexadecimal digits.
    #[error("ASCII header field at offset {0} is not hexadecimal")]
    NotHex(usize),
    /// The data length is larger than any message.
    #[error("data length {0} is over {MAX_DATA}")]
    Length(usize),
}

/// Read `n` hexadecimal characters as a number.
fn hex(r: &mut Reader<'_>, field: &'static str, n: usize) -> Result<Option<u32>, Truncated> {
    let digits = r.bytes(field, n)?;
    Ok(digits
        .iter()
        .try_fold(0u32, |acc, &d| Some(acc << 4 | char::from(d).to_digit(16)?)))
}

/// Read a header; `Ok(None)` when more bytes are needed.
pub fn header(data: &[u8]) -> Result<Option<Header>, HeaderError> {
    let frame = match data {
        [0x50, 0x00, ..] => Frame {
            four_e: false,
            ascii: false,
            response: false,
        },
        [0xd0, 0x00, ..] => Frame {
            four_e: false,
            ascii: false,
            response: true,
        },
        [0x54, 0x00, ..] => Frame {
            four_e: true,
            ascii: false,
            response: false,
        },
        [0xd4, 0x00, ..] => Frame {
            four_e: true,
            ascii: false,
            response: true,
        },
        [b'5', b'0', b'0', b'0', ..] => Frame {
            four_e: false,
            ascii: true,
            response: false,
        },
        [b'D', b'0', b'0', b'0', ..] => Frame {
            four_e: false,
            ascii: true,
            response: true,
        },
        [b'5', b'4', b'0', b'0', ..] => Frame {
            four_e: true,
            ascii: true,
            response: false,
        },
        [b'D', b'4', b'0', b'0', ..] => Frame {
            four_e: true,
            ascii: true,
            response: true,
        },
        [a, b, ..] if !is_prefix(&[*a, *b]) => return Err(HeaderError::Subheader([*a, *b])),
        _ => return Ok(None),
    };
    let read = if frame.ascii {
        ascii_header(data, frame)
    } else {
        binary_header(data, frame)
    };
    let h = match read {
        Ok(h) => h?,
        Err(_) => return Ok(None),
    };
    if h.data_len > MAX_DATA {
        return Err(HeaderError::Length(h.data_len));
    }
    Ok(Some(h))
}

/// Tell whether two bytes could start an ASCII subheader still arriving.
fn is_prefix(two: &[u8; 2]) -> bool {
    matches!(two, [b'5' | b'D', b'0' | b'4'])
}

fn binary_header(data: &[u8], frame: Frame) -> Result<Result<Header, HeaderError>, Truncated> {
    let mut r = Reader::new(data);
    r.skip("subheader", 2)?;
    let serial = if frame.four_e {
        let serial = r.u16_le("serial number")?;
        r.skip("fixed zero", 2)?;
        Some(serial)
    } else {
        None
    };
    let network = r.u8("network number")?;
    let station = r.u8("station number")?;
    let module_io = r.u16_le("module I/O number")?;
    let module_station = r.u8("module station number")?;
    let data_len = usize::from(r.u16_le("data length")?);
    Ok(Ok(Header {
        frame,
        serial,
        network,
        station,
        module_io,
        module_station,
        data_len,
        header_len: r.offset(),
    }))
}

fn ascii_header(data: &[u8], frame: Frame) -> Result<Result<Header, HeaderError>, Truncated> {
    let mut r = Reader::new(data);
    r.skip("subheader", 4)?;
    let mut fields = [0u32; 7];
    let widths: &[(&str, usize)] = if frame.four_e {
        &[
            ("serial number", 4),
            ("fixed zero", 4),
            ("network number", 2),
            ("station number", 2),
            ("module I/O number", 4),
            ("module station number", 2),
            ("data length", 4),
        ]
    } else {
        &[
            ("network number", 2),
            ("station number", 2),
            ("module I/O number", 4),
            ("module station number", 2),
            ("data length", 4),
        ]
    };
    for (slot, &(field, n)) in fields.iter_mut().zip(widths) {
        let at = r.offset();
        match hex(&mut r, field, n)? {
            Some(v) => *slot = v,
            None => return Ok(Err(HeaderError::NotHex(at))),
        }
    }
    let f = if frame.four_e {
        &fields[2..]
    } else {
        &fields[..5]
    };
    Ok(Ok(Header {
        frame,
        serial: frame.four_e.then_some(fields[0] as u16),
        network: f[0] as u8,
        station: f[1] as u8,
        module_io: f[2] as u16,
        module_station: f[3] as u8,
        data_len: f[4] as usize,
        header_len: r.offset(),
    }))
}

/// Why a request or response body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// A field runs past the end.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// An ASCII field is not hexadecimal.
    #[error("{0} is not hexadecimal")]
    NotHex(&'static str),
}

/// Read a two-byte binary or four-character ASCII number.
fn word(r: &mut Reader<'_>, ascii: bool, field: &'static str) -> Result<u16, BodyError> {
    if ascii {
        Ok(hex(r, field, 4)?.ok_or(BodyError::NotHex(field))? as u16)
    } else {
        Ok(r.u16_le(field)?)
    }
}

/// Read a request body (after the length field).
pub fn request<'a>(h: &Header, body: &'a [u8]) -> Result<Request<'a>, BodyError> {
    let mut r = Reader::new(body);
    let ascii = h.frame.ascii;
    Ok(Request {
        timer: word(&mut r, ascii, "monitoring timer")?,
        command: Command(word(&mut r, ascii, "command")?),
        subcommand: word(&mut r, ascii, "subcommand")?,
        data: r.rest(),
    })
}

/// Read a response body (after the length field).
pub fn response<'a>(h: &Header, body: &'a [u8]) -> Result<Response<'a>, BodyError> {
    let mut r = Reader::new(body);
    Ok(Response {
        end_code: word(&mut r, h.frame.ascii, "end code")?,
        data: r.rest(),
    })
}

/// Read the device specification and number of points of a binary batch read or write
/// (subcommands 0000/0001 and 0080/0081: 3-byte number, 1-byte code; 0002/0003 and
/// 0082/0083 of the iQ-R series: 4-byte number, 2-byte code).
pub fn devices(subcommand: u16, data: &[u8]) -> Result<Devices, Truncated> {
    let mut r = Reader::new(data);
    let (head, code) = if subcommand & 0x0002 != 0 {
        (r.u32_le("head device number")?, r.u16_le("device code")?)
    } else {
        let b = r.bytes("head device number", 3)?;
        let head = u32::from_le_bytes([b[0], b[1], b[2], 0]);
        (head, u16::from(r.u8("device code")?))
    };
    Ok(Devices {
        code,
        head,
        points: r.u16_le("number of device points")?,
    })
}

/// Read a Read Type Name response: a 16-character model name and a model code (binary, or
/// four hexadecimal characters).
pub fn type_name(data: &[u8], ascii: bool) -> Result<(&[u8], u16), BodyError> {
    let mut r = Reader::new(data);
    let model = r.bytes("model name", 16)?;
    let code = word(&mut r, ascii, "model code")?;
    Ok((model, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3E binary Device Read of D100, 3 words (the manual, "Device Read (batch)" example).
    pub const READ_D100: &[u8] = &[
        0x50, 0x00, // subheader: 3E request
        0x00, // network 0
        0xff, // station 0xFF: the connected station
        0xff, 0x03, // module I/O 0x03FF: the CPU
        0x00, // module station 0
        0x0c, 0x00, // data length 12
        0x10, 0x00, // monitoring timer 16 (4 s)
        0x01, 0x04, // command 0401: Device Read
        0x00, 0x00, // subcommand 0000: word units
        0x64, 0x00, 0x00, // head device 100
        0xa8, // device code D
        0x03, 0x00, // 3 points
    ];

    #[test]
    fn reads_a_3e_binary_device_read() {
        let h = header(READ_D100).expect("valid").expect("complete");
        assert_eq!(
            (h.frame.name(), h.frame.encoding(), h.frame.response),
            ("3e", "binary", false)
        );
        assert_eq!(
            (h.station, h.module_io, h.data_len, h.total()),
            (0xff, 0x03ff, 12, 21)
        );
        let req = request(&h, &READ_D100[h.header_len..]).expect("request");
        assert_eq!(
            (req.timer, req.command, req.subcommand),
            (16, Command(0x0401), 0)
        );
        let d = devices(req.subcommand, req.data).expect("devices");
        assert_eq!((d.code, d.head, d.points), (0xa8, 100, 3));
    }

    #[test]
    fn reads_4e_and_ascii_headers() {
        // 4E binary response, serial 0x1234, data length 2, end code 0.
        let resp = [
            0xd4, 0x00, 0x34, 0x12, 0, 0, 0x00, 0xff, 0xff, 0x03, 0x00, 0x02, 0x00, 0, 0,
        ];
        let h = header(&resp).expect("valid").expect("complete");
        assert_eq!(
            (h.frame.name(), h.serial, h.header_len, h.total()),
            ("4e", Some(0x1234), 13, 15)
        );
        // 3E ASCII request: 5000 00 FF 03FF 00 0018 0010 1002 0000 0001 (Remote STOP).
        let ascii = b"500000FF03FF000018001010020000";
        let h = header(ascii).expect("valid").expect("complete");
        assert!(h.frame.ascii);
        assert_eq!((h.module_io, h.data_len, h.header_len), (0x03ff, 0x18, 18));
        let req = request(&h, &ascii[18..]).expect("request");
        assert_eq!(req.command.name(), Some("remote_stop"));
        assert_eq!(header(b"50"), Ok(None));
        assert_eq!(header(b"GET /"), Err(HeaderError::Subheader(*b"GE")));
        assert_eq!(header(b"5000zzFF03FF000018"), Err(HeaderError::NotHex(4)));
    }

    #[test]
    fn reads_a_cpu_model() {
        let mut data = b"Q03UDVCPU       ".to_vec();
        data.extend_from_slice(&[0x66, 0x02]);
        assert_eq!(
            type_name(&data, false),
            Ok((&b"Q03UDVCPU       "[..], 0x0266))
        );
        assert!(type_name(&data[..10], false).is_err());
        assert_eq!(
            type_name(b"R04CPU          4801", true),
            Ok((&b"R04CPU          "[..], 0x4801))
        );
    }
}
