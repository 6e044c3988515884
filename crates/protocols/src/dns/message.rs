//! The DNS header and the code tables of the DNS wire format (RFC 1035 §4.1.1 and the IANA
//! "Domain Name System (DNS) Parameters" registry). Code points are kept as numbers; the
//! tables only add a name when one is known.

use rampart_dissect::{Reader, Truncated};

/// Length of the fixed header (RFC 1035 §4.1.1).
pub const HEADER_LEN: usize = 12;

/// The fixed header that opens every DNS (and NBNS, mDNS) message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Transaction id, echoed by the response.
    pub id: u16,
    /// The flag word: QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode.
    pub flags: Flags,
    /// Entries the question section claims.
    pub qdcount: u16,
    /// Records the answer section claims.
    pub ancount: u16,
    /// Records the authority section claims.
    pub nscount: u16,
    /// Records the additional section claims.
    pub arcount: u16,
}

impl Header {
    /// Read the header from the start of `r`.
    pub fn read(r: &mut Reader<'_>) -> Result<Header, Truncated> {
        Ok(Header {
            id: r.u16("id")?,
            flags: Flags(r.u16("flags")?),
            qdcount: r.u16("qdcount")?,
            ancount: r.u16("ancount")?,
            nscount: r.u16("nscount")?,
            arcount: r.u16("arcount")?,
        })
    }
}

/// The header's flag word, with accessors named after RFC 1035 §4.1.1 and RFC 4035 §3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(pub u16);

impl Flags {
    /// Tell whether the message is a response (QR).
    pub fn response(self) -> bool {
        self.0 & 0x8000 != 0
    }

    /// Return the opcode (4 bits).
    pub fn opcode(self) -> u8 {
        ((self.0 >> 11) & 0x0f) as u8
    }

    /// Tell whether the answer is authoritative (AA).
    pub fn aa(self) -> bool {
        self.0 & 0x0400 != 0
    }

    /// Tell whether the message was truncated by its sender (TC).
    pub fn tc(self) -> bool {
        self.0 & 0x0200 != 0
    }

    /// Tell whether recursion is desired (RD).
    pub fn rd(self) -> bool {
        self.0 & 0x0100 != 0
    }

    /// Tell whether recursion is available (RA).
    pub fn ra(self) -> bool {
        self.0 & 0x0080 != 0
    }

    /// Tell whether the reserved Z bit, which must be zero, is set.
    pub fn z(self) -> bool {
        self.0 & 0x0040 != 0
    }

    /// Return the response code (4 bits).
    pub fn rcode(self) -> u8 {
        (self.0 & 0x000f) as u8
    }
}

/// Name a resource record type, if it is a common one.
pub fn type_name(rtype: u16) -> Option<&'static str> {
    Some(match rtype {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        39 => "DNAME",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        _ => return None,
    })
}

/// Name a class, if it is an assigned one.
pub fn class_name(class: u16) -> Option<&'static str> {
    Some(match class {
        1 => "IN",
        3 => "CH",
        4 => "HS",
        254 => "NONE",
        255 => "ANY",
        _ => return None,
    })
}

/// Name a response code, if it is an assigned one.
pub fn rcode_name(rcode: u8) -> Option<&'static str> {
    Some(match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => return None,
    })
}

/// Tell whether an opcode is assigned (QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO).
pub fn opcode_assigned(opcode: u8) -> bool {
    matches!(opcode, 0 | 1 | 2 | 4 | 5 | 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_flag_from_its_own_bit() {
        // RFC 1035 §4.1.1: QR=1 opcode=0 AA=1 TC=0 | RD=1 RA=1 Z=0 AD=0 CD=0 rcode=3 (NXDOMAIN)
        let f = Flags(0x8583);
        assert!(f.response());
        assert_eq!(f.opcode(), 0);
        assert!(f.aa() && !f.tc() && f.rd() && f.ra() && !f.z());
        assert_eq!(f.rcode(), 3);
        assert!(Flags(0x0040).z());
        assert_eq!(Flags(0x2800).opcode(), 5, "UPDATE");
    }

    #[test]
    fn keeps_unknown_codes_nameless() {
        assert_eq!(type_name(28), Some("AAAA"));
        assert_eq!(type_name(65_280), None);
        assert_eq!(rcode_name(15), None);
        assert!(!opcode_assigned(3));
    }
}
