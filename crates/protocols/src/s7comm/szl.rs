//! The system status list (SZL, Siemens' "System-Zustandsliste"; SSL in the English manuals)
//! read through user data function group 4, subfunction 1: the partial lists that identify a
//! module and state its mode ("System Software for S7-300/400, System and Standard Functions",
//! chapter "System Status Lists").

use std::fmt::Write as _;

use rampart_dissect::{Reader, Truncated};

/// Octets of a partial list header in a response: SZL-ID, index, record length, record count.
const LIST_HEADER: usize = 8;

/// Read the SZL-ID and index a read SZL request asks for.
pub fn request(payload: &[u8]) -> Option<(u16, u16)> {
    let mut r = Reader::new(payload);
    Some((r.u16("SZL-ID").ok()?, r.u16("SZL index").ok()?))
}

/// A partial list (extract) as a response carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct List<'a> {
    /// SZL-ID.
    pub id: u16,
    /// Index.
    pub index: u16,
    /// Octets per record (`LENTHDR`).
    pub record_len: u16,
    /// Number of records (`N_DR`).
    pub count: u16,
    /// The records, as present.
    pub records: &'a [u8],
}

impl<'a> List<'a> {
    /// Iterate over the whole records present, at most `count`.
    pub fn records(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let len = usize::from(self.record_len).max(1);
        self.records.chunks_exact(len).take(usize::from(self.count))
    }

    /// Tell whether the records the header announces are all present.
    pub fn complete(&self) -> bool {
        usize::from(self.record_len) * usize::from(self.count) <= self.records.len()
    }
}

/// Read the partial list header of a read SZL response and the records after it.
pub fn list(payload: &[u8]) -> Result<List<'_>, Truncated> {
    let mut r = Reader::new(payload);
    let list = List {
        id: r.u16("SZL-ID")?,
        index: r.u16("SZL index")?,
        record_len: r.u16("record length")?,
        count: r.u16("record count")?,
        records: &[],
    };
    debug_assert_eq!(r.offset(), LIST_HEADER);
    Ok(List {
        records: r.rest(),
        ..list
    })
}

/// One record of SZL-ID xy11, module identification (28 octets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleRecord<'a> {
    /// 0x0001 module, 0x0006 basic hardware, 0x0007 basic firmware, 0x0081… firmware
    /// extensions (boot loader).
    pub index: u16,
    /// Order number (MLFB), 20 characters.
    pub order_number: &'a [u8],
    /// Module type (reserved).
    pub bgtyp: u16,
    /// `Ausbg`: the version of the module (index 1), or `V`/`A` and the first version digit.
    pub ausbg: u16,
    /// `Ausbe`: the remaining version digits.
    pub ausbe: u16,
}

/// Read a module identification record.
pub fn module_record(record: &[u8]) -> Option<ModuleRecord<'_>> {
    let mut r = Reader::new(record);
    Some(ModuleRecord {
        index: r.u16("index").ok()?,
        order_number: r.bytes("MLFB", 20).ok()?,
        bgtyp: r.u16("BGTyp").ok()?,
        ausbg: r.u16("Ausbg").ok()?,
        ausbe: r.u16("Ausbe").ok()?,
    })
}

impl ModuleRecord<'_> {
    /// Write the version a firmware or boot loader record states (`V3.2.7`, `A32.9.9`): the
    /// letter in the high octet of `Ausbg`, then its low octet and the two octets of `Ausbe`.
    /// Returns false for records that state no lettered version.
    pub fn write_version(&self, out: &mut String) -> bool {
        let letter = (self.ausbg >> 8) as u8;
        if letter != b'V' && letter != b'A' {
            return false;
        }
        let _ = write!(
            out,
            "{}{}.{}.{}",
            char::from(letter),
            self.ausbg & 0xff,
            self.ausbe >> 8,
            self.ausbe & 0xff
        );
        true
    }
}

/// One record of SZL-ID xy1C, component identification (34 octets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component<'a> {
    /// A text: 1 automation system name, 2 module name, 3 plant designation, 4 copyright,
    /// 5 serial number, 7 module type name, 8 memory card serial number, 0x0b location.
    Text {
        /// Which component.
        index: u16,
        /// The characters, up to the first NUL.
        text: &'a [u8],
    },
    /// Index 9: manufacturer id (a PROFIBUS/PROFINET vendor id) and profile.
    Manufacturer {
        /// Vendor id, from the PROFIBUS/PROFINET vendor registry.
        vendor_id: u16,
        /// Profile id.
        profile_id: u16,
        /// Profile-specific type.
        profile_type: u16,
    },
    /// Index 0x0a: OEM copyright, OEM id and additional id.
    Oem {
        /// OEM id.
        oem_id: u16,
        /// Additional OEM id.
        oem_add_id: u32,
    },
    /// An index without a known layout.
    Other(u16),
}

/// The characters of a fixed-size text field, up to its first NUL.
fn until_nul(bytes: &[u8]) -> &[u8] {
    bytes
        .iter()
        .position(|&b| b == 0)
        .map_or(bytes, |end| &bytes[..end])
}

/// Read a component identification record.
pub fn component(record: &[u8]) -> Option<Component<'_>> {
    let mut r = Reader::new(record);
    let index = r.u16("index").ok()?;
    let body = r.rest();
    Some(match index {
        0x01..=0x05 | 0x07 | 0x08 | 0x0b => Component::Text {
            index,
            text: until_nul(body),
        },
        0x09 => Component::Manufacturer {
            vendor_id: r.u16("manufacturer id").ok()?,
            profile_id: r.u16("profile id").ok()?,
            profile_type: r.u16("profile specific type").ok()?,
        },
        0x0a => {
            r.skip("OEM copyright", 26).ok()?;
            Component::Oem {
                oem_id: r.u16("OEM id").ok()?,
                oem_add_id: r.u32("OEM additional id").ok()?,
            }
        }
        other => Component::Other(other),
    })
}

/// A record of SZL-ID 0x0424, the current mode transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeRecord {
    /// Event id of the last mode transition.
    pub event: u16,
    /// The mode now (requested by the last transition): bits 0-3 of `bzu-id`.
    pub mode: u8,
    /// The mode before: bits 4-7 of `bzu-id`.
    pub previous: u8,
}

/// Read a current-mode record.
pub fn mode_record(record: &[u8]) -> Option<ModeRecord> {
    let mut r = Reader::new(record);
    let event = r.u16("event id").ok()?;
    r.skip("ae", 1).ok()?;
    let bzu = r.u8("bzu-id").ok()?;
    Some(ModeRecord {
        event,
        mode: bzu & 0x0f,
        previous: bzu >> 4,
    })
}

/// A record of SZL-ID 0x0131 index 1, general communication capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommRecord {
    /// Largest PDU, octets.
    pub max_pdu: u16,
    /// Largest number of communication connections.
    pub max_connections: u16,
    /// Fastest MPI data rate, bit/s.
    pub mpi_rate: u32,
    /// Fastest communication bus data rate, bit/s.
    pub kbus_rate: u32,
}

/// Read a communication capability record of index 1.
pub fn comm_record(record: &[u8]) -> Option<CommRecord> {
    let mut r = Reader::new(record);
    (r.u16("index").ok()? == 1).then_some(())?;
    Some(CommRecord {
        max_pdu: r.u16("pdu").ok()?,
        max_connections: r.u16("anz").ok()?,
        mpi_rate: r.u32("mpi_bps").ok()?,
        kbus_rate: r.u32("kbus_bps").ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SZL 0x0011 response of a CPU 315-2 PN/DP: index 1 (order number, module version 3)
    /// and index 7 (firmware V3.2.7), 28 octets each.
    fn module_identification() -> Vec<u8> {
        let mut p = vec![
            0x00, 0x11, 0x00, 0x00, // SZL-ID 0x0011, index 0
            0x00, 0x1c, 0x00, 0x02, // 28-octet records, 2 of them
        ];
        p.extend_from_slice(&[0x00, 0x01]); // index 1: the module
        p.extend_from_slice(b"6ES7 315-2EH14-0AB0 ");
        p.extend_from_slice(&[0x00, 0xc0, 0x00, 0x03, 0x00, 0x01]); // BGTyp, Ausbg 3, Ausbe 1
        p.extend_from_slice(&[0x00, 0x07]); // index 7: basic firmware
        p.extend_from_slice(&[b' '; 20]);
        p.extend_from_slice(&[0x00, 0xc0, 0x56, 0x03, 0x02, 0x07]); // 'V' 3, 2.7
        p
    }

    #[test]
    fn reads_module_identification_and_firmware_version() {
        let payload = module_identification();
        let l = list(&payload).expect("header");
        assert!(l.complete());
        let records: Vec<_> = l.records().filter_map(module_record).collect();
        assert_eq!(records[0].order_number, b"6ES7 315-2EH14-0AB0 ");
        let mut v = String::new();
        assert!(!records[0].write_version(&mut v));
        assert!(records[1].write_version(&mut v));
        assert_eq!(v, "V3.2.7");
    }

    #[test]
    fn notices_a_list_cut_short() {
        let payload = module_identification();
        let l = list(&payload[..40]).expect("header");
        assert!(!l.complete());
        assert_eq!(l.records().count(), 1);
    }

    #[test]
    fn reads_component_texts_up_to_their_nul() {
        let mut record = vec![0x00, 0x05];
        record.extend_from_slice(b"S C-B1U393142011\0\0\0\0\0\0\0\0");
        record.extend_from_slice(&[0; 8]);
        assert_eq!(
            component(&record),
            Some(Component::Text {
                index: 5,
                text: b"S C-B1U393142011"
            })
        );
        let mut oem = vec![0x00, 0x0a];
        oem.extend_from_slice(&[0; 26]);
        oem.extend_from_slice(&[0x00, 0x2a, 0, 0, 0, 1]);
        assert_eq!(
            component(&oem),
            Some(Component::Oem {
                oem_id: 0x2a,
                oem_add_id: 1
            })
        );
    }

    #[test]
    fn reads_the_mode_and_communication_records() {
        // SZL 0x0424: event 0x5144, ae 0xff, bzu-id 0x08 (RUN, previously 0).
        let mode = [0x51, 0x44, 0xff, 0x08, 0, 0, 0, 0];
        assert_eq!(
            mode_record(&mode),
            Some(ModeRecord {
                event: 0x5144,
                mode: 8,
                previous: 0
            })
        );
        // SZL 0x0131 index 1: PDU 240, 12 connections, MPI 187.5 kbit/s.
        let comm = [
            0x00, 0x01, 0x00, 0xf0, 0x00, 0x0c, 0x00, 0x02, 0xdc, 0x6c, 0, 0, 0, 0,
        ];
        assert_eq!(
            comm_record(&comm).map(|c| (c.max_pdu, c.max_connections, c.mpi_rate)),
            Some((240, 12, 187_500))
        );
        assert_eq!(request(&[0x04, 0x24, 0x00, 0x00]), Some((0x0424, 0)));
    }
}
