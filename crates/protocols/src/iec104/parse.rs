//! Pure IEC 60870-5-104 parsing: the APCI control field, the ASDU header, information
//! objects and their values, written into a caller's buffer without allocating.

use std::fmt::Write as _;

use rampart_dissect::{Reader, Truncated};

use super::message::{Element, ElementSize, TimeTag, TypeId, UFunction};

/// The start octet of every APDU (IEC 60870-5-104 §5.1).
pub const START: u8 = 0x68;
/// The smallest and largest APDU length field: four control octets, at most 253 in all.
pub const MIN_LENGTH: u8 = 4;
/// The largest APDU length field.
pub const MAX_LENGTH: u8 = 253;
/// Octets of the ASDU header in IEC 104: type, qualifier, two of cause, two of address.
pub const ASDU_HEADER_LEN: usize = 6;
/// Octets of an information object address in IEC 104.
const IOA_LEN: usize = 3;

/// The application protocol control information: the frame format and its numbers (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apci {
    /// Numbered information transfer, carrying an ASDU.
    I {
        /// N(S), the send sequence number.
        send: u16,
        /// N(R), the receive sequence number.
        recv: u16,
    },
    /// Numbered supervisory function: an acknowledgement.
    S {
        /// N(R).
        recv: u16,
    },
    /// Unnumbered control function.
    U {
        /// The function bits.
        function: UFunction,
    },
}

impl Apci {
    /// Decode the four control octets.
    pub fn decode(c: [u8; 4]) -> Apci {
        let number = |lo: u8, hi: u8| (u16::from(lo) >> 1) | (u16::from(hi) << 7);
        match c[0] & 0x03 {
            0 | 2 => Apci::I {
                send: number(c[0], c[1]),
                recv: number(c[2], c[3]),
            },
            1 => Apci::S {
                recv: number(c[2], c[3]),
            },
            _ => Apci::U {
                function: UFunction(c[0] >> 2),
            },
        }
    }

    /// Return the format as Wireshark numbers it (`iec60870_104.type`: 0 I, 1 S, 3 U).
    pub fn type_code(self) -> u8 {
        match self {
            Apci::I { .. } => 0,
            Apci::S { .. } => 1,
            Apci::U { .. } => 3,
        }
    }

    /// Name the format.
    pub fn name(self) -> &'static str {
        match self {
            Apci::I { .. } => "I",
            Apci::S { .. } => "S",
            Apci::U { .. } => "U",
        }
    }
}

/// The data unit identifier of an ASDU (IEC 60870-5-101 §7.2, with the 104 field sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsduHeader {
    /// The type identification.
    pub type_id: TypeId,
    /// SQ: the objects are one address followed by consecutive element sets.
    pub sq: bool,
    /// The number of objects (or element sets).
    pub count: u8,
    /// The cause of transmission, six bits.
    pub cause: u8,
    /// P/N: a negative confirmation.
    pub negative: bool,
    /// T: a test ASDU.
    pub test: bool,
    /// The originator address.
    pub originator: u8,
    /// The common address of the ASDU (the station).
    pub common_address: u16,
}

/// Read the ASDU header.
pub fn asdu_header(asdu: &[u8]) -> Result<AsduHeader, Truncated> {
    let mut r = Reader::new(asdu);
    let type_id = TypeId(r.u8("type identification")?);
    let vsq = r.u8("variable structure qualifier")?;
    let cot = r.u8("cause of transmission")?;
    let originator = r.u8("originator address")?;
    let common_address = r.u16_le("common address")?;
    Ok(AsduHeader {
        type_id,
        sq: vsq & 0x80 != 0,
        count: vsq & 0x7f,
        cause: cot & 0x3f,
        negative: cot & 0x40 != 0,
        test: cot & 0x80 != 0,
        originator,
        common_address,
    })
}

/// One information object: its address and its element set, time tag included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoObject<'a> {
    /// The information object address.
    pub ioa: u32,
    /// The elements.
    pub elements: &'a [u8],
}

/// Why the information objects of an ASDU could not all be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AsduError {
    /// The type's element size is not known, so the objects cannot be delimited.
    #[error("type {type_id}: element size unknown, {remaining} octets of objects unread")]
    UnknownType {
        /// The type.
        type_id: TypeId,
        /// Octets left unread.
        remaining: usize,
    },
    /// The ASDU ends before the objects its qualifier announces.
    #[error(
        "type {type_id}: object {index} of {count} needs {needed} octets at offset {offset}, {available} available"
    )]
    Truncated {
        /// The type.
        type_id: TypeId,
        /// The object that did not fit, from 0.
        index: u8,
        /// How many objects the qualifier announces.
        count: u8,
        /// Octets the object needs.
        needed: usize,
        /// Octets left.
        available: usize,
        /// Where the object starts in the ASDU.
        offset: usize,
    },
    /// Octets remain after the last announced object.
    #[error("type {type_id}: {extra} octets after the last of {count} objects, at offset {offset}")]
    Trailing {
        /// The type.
        type_id: TypeId,
        /// How many objects the qualifier announces.
        count: u8,
        /// Octets left over.
        extra: usize,
        /// Where they start.
        offset: usize,
    },
}

impl AsduError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            AsduError::UnknownType { .. } => "unknown_type_id",
            AsduError::Truncated { .. } => "truncated_asdu",
            AsduError::Trailing { .. } => "trailing_bytes",
        }
    }

    /// Return the offset in the ASDU, when it is known.
    pub fn offset(&self) -> Option<usize> {
        match *self {
            AsduError::UnknownType { .. } => Some(ASDU_HEADER_LEN),
            AsduError::Truncated { offset, .. } | AsduError::Trailing { offset, .. } => {
                Some(offset)
            }
        }
    }
}

/// Walk the information objects of an ASDU, stopping at the first error; after the last
/// object, octets left over are an error too.
#[derive(Debug, Clone)]
pub struct InfoObjects<'a> {
    asdu: &'a [u8],
    header: AsduHeader,
    at: usize,
    index: u8,
    next_ioa: u32,
    done: bool,
}

impl<'a> InfoObjects<'a> {
    /// Walk the objects of `asdu`, whose header is `header`.
    pub fn new(asdu: &'a [u8], header: AsduHeader) -> InfoObjects<'a> {
        InfoObjects {
            asdu,
            header,
            at: ASDU_HEADER_LEN,
            index: 0,
            next_ioa: 0,
            done: false,
        }
    }

    fn object(&mut self) -> Result<InfoObject<'a>, AsduError> {
        let h = self.header;
        let rest = self.asdu.get(self.at..).unwrap_or_default();
        let size = match h.type_id.size() {
            Some(ElementSize::Fixed(n)) => n,
            Some(ElementSize::Segment) => {
                // Name, section, length of segment, then the segment itself.
                let skip = usize::from(!h.sq || self.index == 0) * IOA_LEN;
                4 + rest.get(skip + 3).map_or(0, |&n| usize::from(n))
            }
            None => {
                return Err(AsduError::UnknownType {
                    type_id: h.type_id,
                    remaining: rest.len(),
                });
            }
        };
        let with_address = !h.sq || self.index == 0;
        let needed = size + if with_address { IOA_LEN } else { 0 };
        let Some(object) = rest.get(..needed) else {
            return Err(AsduError::Truncated {
                type_id: h.type_id,
                index: self.index,
                count: h.count,
                needed,
                available: rest.len(),
                offset: self.at,
            });
        };
        let (ioa, elements) = if with_address {
            let (a, e) = object.split_at(IOA_LEN);
            (u32::from_le_bytes([a[0], a[1], a[2], 0]), e)
        } else {
            (self.next_ioa, object)
        };
        self.next_ioa = ioa.wrapping_add(1) & 0x00ff_ffff;
        self.at += needed;
        self.index += 1;
        Ok(InfoObject { ioa, elements })
    }
}

impl<'a> Iterator for InfoObjects<'a> {
    type Item = Result<InfoObject<'a>, AsduError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.index >= self.header.count {
            self.done = true;
            let extra = self.asdu.len().saturating_sub(self.at);
            return (extra > 0).then_some(Err(AsduError::Trailing {
                type_id: self.header.type_id,
                count: self.header.count,
                extra,
                offset: self.at,
            }));
        }
        let item = self.object();
        self.done = item.is_err();
        Some(item)
    }
}

/// Command fields of a command object: select or execute, and the qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// S/E: select (true) or execute.
    pub select: bool,
    /// QU of a command, QL of a set-point.
    pub qualifier: u8,
}

/// Return the select/execute bit and qualifier of a command's elements.
pub fn command(type_id: TypeId, elements: &[u8]) -> Option<Command> {
    let octet = match type_id.element()? {
        Element::SingleCommand | Element::DoubleCommand | Element::StepCommand => {
            *elements.first()?
        }
        Element::NormalizedSetpoint | Element::ScaledSetpoint => *elements.get(2)?,
        Element::FloatSetpoint => *elements.get(4)?,
        _ => return None,
    };
    let qualifier = match type_id.element()? {
        Element::NormalizedSetpoint | Element::ScaledSetpoint | Element::FloatSetpoint => {
            octet & 0x7f
        }
        _ => (octet >> 2) & 0x1f,
    };
    Some(Command {
        select: octet & 0x80 != 0,
        qualifier,
    })
}

/// Write a readable value of an object's elements into `out`: the value, then ` quality=…`
/// when a quality flag is set, then ` time=…` for time-tagged types.
pub fn write_value(out: &mut String, type_id: TypeId, elements: &[u8]) {
    let Some(element) = type_id.element() else {
        return;
    };
    let b = |i: usize| elements.get(i).copied().unwrap_or_default();
    let u16_at = |i: usize| u16::from_le_bytes([b(i), b(i + 1)]);
    let u32_at = |i: usize| u32::from_le_bytes([b(i), b(i + 1), b(i + 2), b(i + 3)]);
    let normalized = |i: usize| f64::from(u16_at(i) as i16) / 32768.0;
    // (quality octet, flag set) of the types that carry one.
    let quality = match element {
        Element::SinglePoint => {
            out.push_str(if b(0) & 1 != 0 { "on" } else { "off" });
            Some(b(0) & 0xf0)
        }
        Element::DoublePoint => {
            out.push_str(["intermediate", "off", "on", "indeterminate"][usize::from(b(0) & 3)]);
            Some(b(0) & 0xf0)
        }
        Element::StepPosition => {
            // VTI: a seven-bit two's complement value, bit 7 the transient state.
            let value = ((b(0) << 1) as i8) >> 1;
            let _ = write!(out, "{value}");
            if b(0) & 0x80 != 0 {
                out.push_str(" transient");
            }
            Some(b(1))
        }
        Element::Bitstring => {
            let _ = write!(out, "0x{:08x}", u32_at(0));
            Some(b(4))
        }
        Element::Normalized => {
            let _ = write!(out, "{}", normalized(0));
            Some(b(2))
        }
        Element::NormalizedNoQuality => {
            let _ = write!(out, "{}", normalized(0));
            None
        }
        Element::Scaled => {
            let _ = write!(out, "{}", u16_at(0) as i16);
            Some(b(2))
        }
        Element::Float => {
            let _ = write!(out, "{}", f32::from_bits(u32_at(0)));
            Some(b(4))
        }
        Element::Counter => {
            let _ = write!(out, "{} seq={}", u32_at(0) as i32, b(4) & 0x1f);
            Some(b(4) & 0xe0)
        }
        Element::SingleCommand => {
            out.push_str(if b(0) & 1 != 0 { "on" } else { "off" });
            None
        }
        Element::DoubleCommand => {
            out.push_str(["not_permitted", "off", "on", "not_permitted"][usize::from(b(0) & 3)]);
            None
        }
        Element::StepCommand => {
            out.push_str(
                ["not_permitted", "lower", "higher", "not_permitted"][usize::from(b(0) & 3)],
            );
            None
        }
        Element::NormalizedSetpoint => {
            let _ = write!(out, "{}", normalized(0));
            None
        }
        Element::ScaledSetpoint => {
            let _ = write!(out, "{}", u16_at(0) as i16);
            None
        }
        Element::FloatSetpoint => {
            let _ = write!(out, "{}", f32::from_bits(u32_at(0)));
            None
        }
        Element::BitstringCommand => {
            let _ = write!(out, "0x{:08x}", u32_at(0));
            None
        }
        Element::Interrogation => {
            match b(0) {
                20 => out.push_str("station"),
                q @ 21..=36 => {
                    let _ = write!(out, "group_{}", q - 20);
                }
                q => {
                    let _ = write!(out, "qoi={q}");
                }
            }
            None
        }
        Element::Clock => None,
        Element::Raw => {
            let end = elements.len().saturating_sub(tag_len(type_id.time_tag()));
            for byte in elements.get(..end).unwrap_or_default() {
                let _ = write!(out, "{byte:02x}");
            }
            None
        }
    };
    if let Some(flags) = quality.filter(|q| q & 0xf1 != 0) {
        write_quality(out, flags, element);
    }
    write_time(out, type_id.time_tag(), elements);
}

/// Octets of a time tag.
fn tag_len(tag: TimeTag) -> usize {
    match tag {
        TimeTag::None => 0,
        TimeTag::Cp24 => 3,
        TimeTag::Cp56 => 7,
    }
}

/// Write ` quality=iv,nt,…` for the set flags of a quality octet (QDS, SIQ, DIQ, BCR).
fn write_quality(out: &mut String, flags: u8, element: Element) {
    // SIQ and DIQ hold the value in the low bits; QDS has OV in bit 0; BCR has CY, CA, IV.
    let names: &[(u8, &str)] = match element {
        Element::Counter => &[(0x20, "cy"), (0x40, "ca"), (0x80, "iv")],
        Element::SinglePoint | Element::DoublePoint => {
            &[(0x10, "bl"), (0x20, "sb"), (0x40, "nt"), (0x80, "iv")]
        }
        _ => &[
            (0x01, "ov"),
            (0x10, "bl"),
            (0x20, "sb"),
            (0x40, "nt"),
            (0x80, "iv"),
        ],
    };
    let mut first = true;
    for (bit, name) in names {
        if flags & bit != 0 {
            out.push_str(if first { " quality=" } else { "," });
            out.push_str(name);
            first = false;
        }
    }
}

/// Write ` time=…` from the time tag at the end of the elements.
fn write_time(out: &mut String, tag: TimeTag, elements: &[u8]) {
    let n = tag_len(tag);
    let Some(t) = elements
        .len()
        .checked_sub(n)
        .and_then(|start| elements.get(start..))
        .filter(|t| !t.is_empty())
    else {
        return;
    };
    let ms = u16::from_le_bytes([t[0], t.get(1).copied().unwrap_or_default()]);
    let minute = t.get(2).copied().unwrap_or_default();
    match tag {
        TimeTag::None => {}
        TimeTag::Cp24 => {
            let _ = write!(
                out,
                " time={:02}:{:02}.{:03}",
                minute & 0x3f,
                ms / 1000,
                ms % 1000
            );
        }
        TimeTag::Cp56 => {
            let at = |i: usize| t.get(i).copied().unwrap_or_default();
            let _ = write!(
                out,
                " time=20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
                at(6) & 0x7f,
                at(5) & 0x0f,
                at(4) & 0x1f,
                at(3) & 0x1f,
                minute & 0x3f,
                ms / 1000,
                ms % 1000
            );
            if minute & 0x80 != 0 {
                out.push_str(" time_invalid");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_three_frame_formats() {
        // I-format: N(S) 2827 = 0x0b0b, sent as 0x16 0x16 (§5.1, Figure 7).
        assert_eq!(
            Apci::decode([0x16, 0x16, 0x02, 0x00]),
            Apci::I {
                send: 2827,
                recv: 1
            }
        );
        assert_eq!(Apci::decode([0x01, 0x00, 0x0a, 0x00]), Apci::S { recv: 5 });
        let startdt = Apci::decode([0x07, 0x00, 0x00, 0x00]);
        assert_eq!(
            startdt,
            Apci::U {
                function: UFunction::STARTDT_ACT
            }
        );
        assert_eq!(startdt.type_code(), 3);
    }

    /// A spontaneous M_ME_TF_1 (36) with one short float and a CP56Time2a tag.
    const FLOAT_WITH_TIME: &[u8] = &[
        0x24, // type 36, M_ME_TF_1 (IEC 60870-5-101 §7.3.1.28)
        0x01, // SQ 0, one object
        0x03, 0x00, // cause 3, spontaneous; originator 0
        0x14, 0x29, // common address 10516
        0x01, 0x10, 0x00, // IOA 4097
        0x00, 0x00, 0x48, 0x41, // 12.5
        0x00, // QDS: good
        0x10, 0x27, // 10000 ms
        0x1e, // minute 30
        0x0c, // hour 12
        0x2d, // day 13, weekday 1
        0x08, // August
        0x09, // 2009
    ];

    #[test]
    fn reads_the_header_and_one_object_with_its_value_and_time() {
        let h = asdu_header(FLOAT_WITH_TIME).expect("header");
        assert_eq!((h.type_id, h.count, h.cause), (TypeId(36), 1, 3));
        assert_eq!(h.common_address, 10516);
        let objects: Vec<_> = InfoObjects::new(FLOAT_WITH_TIME, h).collect();
        assert_eq!(objects.len(), 1);
        let o = objects[0].expect("fits");
        assert_eq!(o.ioa, 4097);
        let mut value = String::new();
        write_value(&mut value, h.type_id, o.elements);
        assert_eq!(value, "12.5 time=2009-08-13T12:30:10.000");
    }

    #[test]
    fn walks_a_sequence_of_elements_from_one_address() {
        let asdu = [
            0x01, 0x83, // M_SP_NA_1, SQ 1, three elements
            0x14, 0x00, 0x03, 0x00, // cause 20 interrogated, common address 3
            0x0a, 0x00, 0x00, // IOA 10
            0x01, 0x00, 0x81, // on, off, on and invalid
        ];
        let h = asdu_header(&asdu).expect("header");
        let mut values = Vec::new();
        for o in InfoObjects::new(&asdu, h) {
            let o = o.expect("fits");
            let mut v = String::new();
            write_value(&mut v, h.type_id, o.elements);
            values.push((o.ioa, v));
        }
        assert_eq!(
            values,
            vec![
                (10, "on".to_string()),
                (11, "off".to_string()),
                (12, "on quality=iv".to_string())
            ]
        );
    }

    #[test]
    fn flags_a_short_asdu_and_trailing_octets() {
        let short = [0x2d, 0x02, 0x06, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x81];
        let h = asdu_header(&short).expect("header");
        let items: Vec<_> = InfoObjects::new(&short, h).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[1].expect_err("second object missing").code(),
            "truncated_asdu"
        );
        let long = [
            0x2d, 0x01, 0x06, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x81, 0xff,
        ];
        let h = asdu_header(&long).expect("header");
        let err = InfoObjects::new(&long, h)
            .nth(1)
            .expect("trailing")
            .expect_err("error");
        assert_eq!(err.code(), "trailing_bytes");
        assert_eq!(err.offset(), Some(10));
    }

    #[test]
    fn reads_select_and_qualifier_of_commands() {
        // C_SC_NA_1 SCO 0x81: select, QU 0, state on (§7.2.6.15).
        assert_eq!(
            command(TypeId(45), &[0x81]),
            Some(Command {
                select: true,
                qualifier: 0
            })
        );
        // C_SE_NC_1: float then QOS 0x00, execute.
        assert_eq!(
            command(TypeId(50), &[0, 0, 0x80, 0x3f, 0x00]),
            Some(Command {
                select: false,
                qualifier: 0
            })
        );
        let mut v = String::new();
        write_value(&mut v, TypeId(47), &[0x0a]);
        assert_eq!(v, "higher");
        assert_eq!(command(TypeId(13), &[0; 5]), None);
    }

    #[test]
    fn decodes_step_positions_and_scaled_values() {
        let mut v = String::new();
        write_value(&mut v, TypeId(5), &[0xff, 0x00]); // -1, transient
        assert_eq!(v, "-1 transient");
        v.clear();
        write_value(&mut v, TypeId(11), &[0x18, 0xfc, 0x10]); // -1000, blocked
        assert_eq!(v, "-1000 quality=bl");
        v.clear();
        write_value(&mut v, TypeId(100), &[20]);
        assert_eq!(v, "station");
    }
}
