//! Pure parsing of what NBNS adds to the DNS wire format (RFC 1002 §4.2): first-level encoded
//! NetBIOS names, NB address entries and node status (NBSTAT) answers.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use rampart_dissect::{Mac, Reader, Truncated};

use crate::dns::parse::push_label;
use crate::label::push_hex_byte;

/// Question and record type NB: a name's addresses (RFC 1002 §4.2.1.3).
pub const TYPE_NB: u16 = 0x20;

/// Question and record type NBSTAT: a node's name table (RFC 1002 §4.2.17).
pub const TYPE_NBSTAT: u16 = 0x21;

/// Length of a NetBIOS name once decoded: 15 characters and a suffix byte.
pub const NAME_LEN: usize = 16;

/// Why a first label is not a first-level encoded NetBIOS name (RFC 1001 §14.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// The label is not 32 characters long.
    #[error("first label is {0} bytes, a NetBIOS name encodes to 32")]
    Length(usize),
    /// A character is outside `A`..=`P`.
    #[error("character 0x{byte:02x} at position {index} is outside A..P")]
    Character {
        /// Position in the label.
        index: usize,
        /// The byte found.
        byte: u8,
    },
}

/// Decode a first-level encoded label: each byte is two characters `A` + nibble.
pub fn decode_first_level(label: &[u8]) -> Result<[u8; NAME_LEN], EncodingError> {
    if label.len() != 2 * NAME_LEN {
        return Err(EncodingError::Length(label.len()));
    }
    let mut out = [0u8; NAME_LEN];
    for (i, (byte, pair)) in out.iter_mut().zip(label.chunks_exact(2)).enumerate() {
        let nibble = |at: usize| {
            let c = pair.get(at).copied().unwrap_or_default();
            match c {
                b'A'..=b'P' => Ok(c - b'A'),
                _ => Err(EncodingError::Character {
                    index: 2 * i + at,
                    byte: c,
                }),
            }
        };
        *byte = nibble(0)? << 4 | nibble(1)?;
    }
    Ok(out)
}

/// Append a decoded name as `NAME<xx>`, the way Windows tools and tshark write it:
/// trailing space and NUL padding dropped, bytes outside printable ASCII as `\DDD`.
pub fn write_name(out: &mut String, name: &[u8; NAME_LEN]) {
    let (chars, suffix) = name.split_at(NAME_LEN - 1);
    let end = chars
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |i| i + 1);
    for &b in chars.iter().take(end) {
        match b {
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
    // Without core::fmt: the formatting machinery cost more than the rest of the name.
    out.push('<');
    push_hex_byte(out, suffix.first().copied().unwrap_or_default());
    out.push('>');
}

/// Return the service a name suffix stands for (Microsoft's well-known NetBIOS suffixes).
pub fn suffix_meaning(suffix: u8) -> Option<&'static str> {
    Some(match suffix {
        0x00 => "workstation",
        0x01 => "master_browser",
        0x03 => "messenger",
        0x06 => "ras_server",
        0x1b => "domain_master_browser",
        0x1c => "domain_controllers",
        0x1d => "master_browser",
        0x1e => "browser_election",
        0x1f => "netdde",
        0x20 => "file_server",
        0x21 => "ras_client",
        _ => return None,
    })
}

/// A NetBIOS name read label by label: the first label decoded, the rest (the scope) kept as
/// dotted text.
#[derive(Debug, Default, Clone)]
pub struct NameReader {
    /// The name as text: `NAME<xx>` and the scope, or the raw labels when not encoded.
    pub text: String,
    /// The decoded 16 bytes, when the first label is a proper encoding.
    pub decoded: Option<[u8; NAME_LEN]>,
    /// Why the first label could not be decoded.
    pub error: Option<EncodingError>,
    labels: usize,
}

impl NameReader {
    /// Forget the previous name.
    pub fn clear(&mut self) {
        self.text.clear();
        self.decoded = None;
        self.error = None;
        self.labels = 0;
    }

    /// Take the next label of the name.
    pub fn visit(&mut self, label: &[u8]) {
        if self.labels == 0 {
            match decode_first_level(label) {
                Ok(name) => {
                    write_name(&mut self.text, &name);
                    self.decoded = Some(name);
                }
                Err(e) => {
                    push_label(&mut self.text, label);
                    self.error = Some(e);
                }
            }
        } else {
            self.text.push('.');
            push_label(&mut self.text, label);
        }
        self.labels += 1;
    }

    /// Return the suffix byte of the decoded name.
    pub fn suffix(&self) -> Option<u8> {
        self.decoded.and_then(|name| name.last().copied())
    }
}

/// One NB_FLAGS + NB_ADDRESS entry of NB rdata (RFC 1002 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NbEntry {
    /// The name is a group name (G bit), not a unique one.
    pub group: bool,
    /// Owner node type: 0 B, 1 P, 2 M, 3 H (Microsoft).
    pub node_type: u8,
    /// The address.
    pub address: Ipv4Addr,
}

/// Split NB rdata into its 6-byte entries; return them and the length of any leftover.
pub fn nb_entries(rdata: &[u8]) -> (impl Iterator<Item = NbEntry> + '_, usize) {
    let chunks = rdata.chunks_exact(6);
    let leftover = chunks.remainder().len();
    let entries = chunks.map(|c| {
        let flags = u16::from_be_bytes([c[0], c[1]]);
        NbEntry {
            group: flags & 0x8000 != 0,
            node_type: ((flags >> 13) & 0x3) as u8,
            address: Ipv4Addr::new(c[2], c[3], c[4], c[5]),
        }
    });
    (entries, leftover)
}

/// One entry of a node status answer's name table (RFC 1002 §4.2.18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeName {
    /// The 16-byte name, not encoded.
    pub name: [u8; NAME_LEN],
    /// The name is a group name.
    pub group: bool,
}

/// A node status answer: its name table and the adapter's MAC (the statistics' unit id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// The names the node has registered.
    pub names: Vec<NodeName>,
    /// The unit id, when the statistics are present.
    pub unit_id: Option<Mac>,
}

/// Parse NBSTAT rdata (RFC 1002 §4.2.18); names are bounded by what the rdata holds.
pub fn node_status(rdata: &[u8]) -> Result<NodeStatus, Truncated> {
    let mut r = Reader::new(rdata);
    let count = usize::from(r.u8("num_names")?);
    let mut names = Vec::with_capacity(count.min(r.remaining() / (NAME_LEN + 2)));
    for _ in 0..count {
        let bytes = r.bytes("node_name", NAME_LEN)?;
        let flags = r.u16("name_flags")?;
        let mut name = [0u8; NAME_LEN];
        name.copy_from_slice(bytes);
        names.push(NodeName {
            name,
            group: flags & 0x8000 != 0,
        });
    }
    let unit_id = Mac::from_slice(r.rest());
    Ok(NodeStatus { names, unit_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_first_level_encoding() {
        // RFC 1001 §14.1: "FRED" padded with spaces, suffix 0x20 → "EGFCEFEE" + "CA" * 11 + "CA"
        let label = b"EGFCEFEECACACACACACACACACACACACA";
        let name = decode_first_level(label).expect("valid");
        assert_eq!(&name, b"FRED            ");
        let mut text = String::new();
        write_name(&mut text, &name);
        assert_eq!(text, "FRED<20>");
    }

    #[test]
    fn escapes_control_bytes_in_names() {
        let mut text = String::new();
        write_name(&mut text, b"\x01\x02__MSBROWSE__\x02\x01");
        assert_eq!(text, "\\001\\002__MSBROWSE__\\002<01>");
    }

    #[test]
    fn says_why_a_label_is_not_encoded() {
        assert_eq!(decode_first_level(b"ABC"), Err(EncodingError::Length(3)));
        let mut label = *b"EGFCEFEECACACACACACACACACACACACA";
        label[5] = b'z';
        assert_eq!(
            decode_first_level(&label),
            Err(EncodingError::Character {
                index: 5,
                byte: b'z'
            })
        );
    }

    #[test]
    fn reads_name_with_scope() {
        let mut reader = NameReader::default();
        reader.visit(b"EGFCEFEECACACACACACACACACACACAAA");
        reader.visit(b"corp");
        assert_eq!(reader.text, "FRED<00>.corp");
        assert_eq!(reader.suffix(), Some(0));
    }

    #[test]
    fn splits_nb_entries_and_counts_leftover() {
        let rdata = [
            0xe0, 0x00, 192, 168, 1, 1, // G=1 ONT=3 (H-node), 192.168.1.1
            0x60, 0x00, 10, 0, 0, 9,    // G=0 ONT=3, 10.0.0.9
            0xff, // a stray byte
        ];
        let (entries, leftover) = nb_entries(&rdata);
        let entries: Vec<NbEntry> = entries.collect();
        assert_eq!(leftover, 1);
        assert_eq!(entries.len(), 2);
        assert!(entries[0].group && !entries[1].group);
        assert_eq!(entries[1].node_type, 3);
        assert_eq!(entries[1].address, Ipv4Addr::new(10, 0, 0, 9));
    }

    #[test]
    fn reads_node_status_name_table_and_unit_id() {
        let mut rdata = vec![0x01]; // num_names 1
        rdata.extend_from_slice(b"PLC-GATEWAY    \x00"); // name, suffix 0x00
        rdata.extend_from_slice(&[0x04, 0x00]); // name flags: ACT, unique
        rdata.extend_from_slice(&[0x00, 0x1b, 0x1b, 0x0a, 0x0b, 0x0c]); // unit id
        let status = node_status(&rdata).expect("whole");
        assert_eq!(status.names.len(), 1);
        assert!(!status.names[0].group);
        assert_eq!(
            status.unit_id.map(|m| m.to_string()).as_deref(),
            Some("00:1b:1b:0a:0b:0c")
        );
        let e = node_status(&[0x05, b'A']).expect_err("five names claimed");
        assert_eq!(e.field, "node_name");
    }
}
