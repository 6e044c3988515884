//! The GOOSE frame (IEC 61850-8-1 Annex C) as typed values, and the MMS `Data` types its
//! dataset carries.

/// The header after the EtherType (IEC 61850-8-1 §C.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Application identifier (0x0000-0x3fff for GOOSE).
    pub appid: u16,
    /// Octets from the APPID to the end of the APDU.
    pub length: u16,
    /// Reserved 1; bit 15 is the simulation flag of Edition 2.
    pub reserved1: u16,
    /// Reserved 2 (a CRC of the header in IEC 62351-6 secured GOOSE).
    pub reserved2: u16,
}

impl Header {
    /// Tell whether the frame is flagged as simulated (Edition 2: reserved 1, bit 15).
    pub fn simulation(&self) -> bool {
        self.reserved1 & 0x8000 != 0
    }
}

/// A GOOSE timestamp (`UtcTime`, IEC 61850-8-1 §8.1.3.7): seconds and a binary fraction of
/// the second since 1970, and the time quality octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub seconds: u32,
    /// Fraction of the second, in units of 2^-24 s.
    pub fraction: u32,
    /// Leap second known, clock failure, clock not synchronised, accuracy bits.
    pub quality: u8,
}

impl UtcTime {
    /// Return the nanoseconds within the second.
    pub fn nanos(&self) -> u32 {
        ((u64::from(self.fraction) * 1_000_000_000) >> 24) as u32
    }
}

/// The goosePdu fields (IEC 61850-8-1 §C.2.3, `IECGoosePdu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GoosePdu<'a> {
    /// gocbRef [0]: the GOOSE control block.
    pub gocb_ref: Option<&'a [u8]>,
    /// timeAllowedtoLive [1], milliseconds.
    pub time_allowed_to_live: Option<u64>,
    /// datSet [2]: the dataset reference.
    pub dat_set: Option<&'a [u8]>,
    /// goID [3].
    pub go_id: Option<&'a [u8]>,
    /// t [4]: when stNum last changed.
    pub t: Option<UtcTime>,
    /// stNum [5]: state number, incremented when a value changes.
    pub st_num: Option<u64>,
    /// sqNum [6]: retransmission number within a state.
    pub sq_num: Option<u64>,
    /// simulation [7] (test in Edition 1).
    pub test: Option<bool>,
    /// confRev [8]: configuration revision.
    pub conf_rev: Option<u64>,
    /// ndsCom [9]: needs commissioning.
    pub nds_com: Option<bool>,
    /// numDatSetEntries [10].
    pub num_dat_set_entries: Option<u64>,
    /// security [12] is present.
    pub security: bool,
}

/// Name an MMS `Data` CHOICE alternative by its context tag (ISO 9506-2 §14.4.1, with the
/// IEC 61850-8-1 additions).
pub fn data_type_name(tag: u32) -> &'static str {
    match tag {
        1 => "array",
        2 => "structure",
        3 => "boolean",
        4 => "bit_string",
        5 => "integer",
        6 => "unsigned",
        7 => "floating_point",
        9 => "octet_string",
        10 => "visible_string",
        11 => "generalized_time",
        12 => "binary_time",
        13 => "bcd",
        14 => "boolean_array",
        15 => "object_id",
        16 => "mms_string",
        17 => "utc_time",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_simulation_bit_and_fractions() {
        let h = Header {
            appid: 0x3001,
            length: 227,
            reserved1: 0x8000,
            reserved2: 0,
        };
        assert!(h.simulation());
        let t = UtcTime {
            seconds: 0,
            fraction: 0x80_0000,
            quality: 0x0a,
        };
        assert_eq!(t.nanos(), 500_000_000);
        assert_eq!(data_type_name(2), "structure");
        assert_eq!(data_type_name(8), "unknown");
    }
}
