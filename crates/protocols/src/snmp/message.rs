//! SNMP messages as typed values, and the code tables they use.

use std::net::Ipv4Addr;

/// The version field: 0 for SNMPv1, 1 for SNMPv2c, 3 for SNMPv3 (RFC 3584 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub i64);

impl Version {
    /// SNMPv1 (RFC 1157).
    pub const V1: Version = Version(0);
    /// Community-based SNMPv2 (RFC 1901).
    pub const V2C: Version = Version(1);
    /// SNMPv3 (RFC 3412).
    pub const V3: Version = Version(3);

    /// Name the version as Zeek's snmp.log does (`1`, `2c`, `3`).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Version::V1 => Some("1"),
            Version::V2C => Some("2c"),
            Version::V3 => Some("3"),
            _ => None,
        }
    }
}

/// A PDU type: the context-specific tag number of the PDU (RFC 3416 §3, RFC 1157 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PduType(pub u8);

impl PduType {
    /// Response-PDU (GetResponse in SNMPv1).
    pub const RESPONSE: PduType = PduType(2);
    /// Trap-PDU of SNMPv1.
    pub const TRAP_V1: PduType = PduType(4);
    /// GetBulkRequest-PDU.
    pub const GET_BULK: PduType = PduType(5);
    /// InformRequest-PDU.
    pub const INFORM: PduType = PduType(6);
    /// SNMPv2-Trap-PDU.
    pub const TRAP_V2: PduType = PduType(7);
    /// Report-PDU.
    pub const REPORT: PduType = PduType(8);

    /// Name the PDU type as Suricata's EVE snmp records do, or `None` when unassigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "get_request",
            1 => "get_next_request",
            2 => "response",
            3 => "set_request",
            4 => "trap_v1",
            5 => "get_bulk_request",
            6 => "inform_request",
            7 => "trap_v2",
            8 => "report",
            _ => return None,
        })
    }

    /// Tell whether SNMPv1 defines this PDU type (it has only the first five).
    pub fn in_v1(self) -> bool {
        self.0 <= 4
    }

    /// Tell whether the PDU is sent by the side that accepts the community: a response or
    /// report comes back from the agent, every other PDU goes to its receiver.
    pub fn sent_by_acceptor(self) -> bool {
        matches!(self, PduType::RESPONSE | PduType::REPORT)
    }

    /// Tell whether the sender's variable bindings describe the sender itself (responses and
    /// notifications carry the agent's values; requests carry only names).
    pub fn carries_agent_values(self) -> bool {
        matches!(
            self,
            PduType::RESPONSE | PduType::TRAP_V1 | PduType::TRAP_V2 | PduType::INFORM
        )
    }
}

/// The SNMPv1 Trap-PDU fields that replace request id and error fields (RFC 1157 §4.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrapV1<'a> {
    /// The enterprise OID, BER contents.
    pub enterprise: &'a [u8],
    /// The agent's address, when it is four bytes.
    pub agent_addr: Option<Ipv4Addr>,
    /// Generic trap (0 coldStart … 6 enterpriseSpecific).
    pub generic_trap: i64,
    /// Specific trap code.
    pub specific_trap: i64,
    /// sysUpTime at the trap, in hundredths of a second.
    pub time_stamp: u64,
}

/// A PDU's header fields; the variable bindings are read lazily from `varbinds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// The PDU type.
    pub pdu_type: PduType,
    /// Request id (absent in an SNMPv1 trap).
    pub request_id: Option<i64>,
    /// Error status, or non-repeaters in a GetBulkRequest.
    pub error_status: i64,
    /// Error index, or max-repetitions in a GetBulkRequest.
    pub error_index: i64,
    /// The SNMPv1 trap fields.
    pub trap: Option<TrapV1<'a>>,
    /// Contents of the variable-bindings SEQUENCE.
    pub varbinds: &'a [u8],
    /// Offset of `varbinds` in the message.
    pub varbinds_offset: usize,
}

/// The SNMPv3 header and USM security parameters (RFC 3412 §6, RFC 3414 §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct V3Header<'a> {
    /// Message id.
    pub msg_id: i64,
    /// Largest message the sender accepts.
    pub max_size: i64,
    /// Flags: authentication (1), privacy (2), reportable (4).
    pub flags: u8,
    /// Security model (3 = USM).
    pub security_model: i64,
    /// USM authoritative engine id.
    pub engine_id: Option<&'a [u8]>,
    /// USM user name.
    pub user: Option<&'a [u8]>,
    /// Context name of a plaintext scoped PDU.
    pub context_name: Option<&'a [u8]>,
    /// The scoped PDU is encrypted.
    pub encrypted: bool,
}

/// One variable binding's value (RFC 3416 §3, RFC 2578 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarValue<'a> {
    /// INTEGER.
    Integer(i64),
    /// OCTET STRING.
    Octets(&'a [u8]),
    /// NULL: the value of every binding in a request.
    Null,
    /// OBJECT IDENTIFIER, BER contents.
    Oid(&'a [u8]),
    /// IpAddress.
    IpAddress(Ipv4Addr),
    /// Counter32, Gauge32, TimeTicks, Counter64 or Unsigned32, by tag.
    Unsigned {
        /// The application tag (0x41 Counter32, 0x42 Gauge32, 0x43 TimeTicks, 0x46
        /// Counter64, 0x47 Unsigned32).
        tag: u8,
        /// The value.
        value: u64,
    },
    /// noSuchObject, noSuchInstance or endOfMibView (context tags 0, 1, 2).
    Exception(u8),
    /// Opaque or anything else, kept raw.
    Other {
        /// The tag.
        tag: u8,
        /// The contents.
        bytes: &'a [u8],
    },
}

/// One variable binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarBind<'a> {
    /// The object name, BER contents of the OID.
    pub oid: &'a [u8],
    /// The value.
    pub value: VarValue<'a>,
}

/// A whole message, as far as it could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The version field.
    pub version: Version,
    /// The community string (SNMPv1 and v2c).
    pub community: Option<&'a [u8]>,
    /// The SNMPv3 header.
    pub v3: Option<V3Header<'a>>,
    /// The PDU, unless encrypted or unreadable.
    pub pdu: Option<Pdu<'a>>,
}

/// Well-known object names, as BER contents, that the dissector records by value.
pub mod oid {
    /// sysDescr.0 (RFC 3418), 1.3.6.1.2.1.1.1.0.
    pub const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];
    /// sysObjectID.0, 1.3.6.1.2.1.1.2.0.
    pub const SYS_OBJECT_ID: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 2, 0];
    /// sysUpTime.0, 1.3.6.1.2.1.1.3.0.
    pub const SYS_UPTIME: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 3, 0];
    /// sysContact.0, 1.3.6.1.2.1.1.4.0.
    pub const SYS_CONTACT: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 4, 0];
    /// sysName.0, 1.3.6.1.2.1.1.5.0.
    pub const SYS_NAME: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 5, 0];
    /// sysLocation.0, 1.3.6.1.2.1.1.6.0.
    pub const SYS_LOCATION: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 6, 0];
    /// snmpTrapOID.0 (RFC 3418), 1.3.6.1.6.3.1.1.4.1.0.
    pub const SNMP_TRAP_OID: &[u8] = &[0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0];
    /// The private enterprises arc, 1.3.6.1.4.1.
    pub const ENTERPRISES: &[u8] = &[0x2b, 6, 1, 4, 1];
}

/// Private enterprise numbers of common device makers, from the IANA "Private Enterprise
/// Numbers" registry (checked against the copy Wireshark ships as `enterprises.tsv`, generated
/// from iana.org/assignments/enterprise-numbers, last updated 2024-08-23).
const ENTERPRISES: &[(u64, &str)] = &[
    (2, "IBM"),
    (9, "Cisco"),
    (11, "HP"),
    (43, "3Com"),
    (63, "Apple"),
    (95, "Rockwell Automation"),
    (248, "Hirschmann"),
    (311, "Microsoft"),
    (318, "APC"),
    (368, "Axis Communications"),
    (674, "Dell"),
    (1916, "Extreme Networks"),
    (2011, "Huawei"),
    (2636, "Juniper Networks"),
    (3833, "Schneider Electric"),
    (4196, "Siemens"),
    (4329, "Siemens"),
    (4346, "Phoenix Contact"),
    (5771, "Cisco"),
    (6876, "VMware"),
    (8691, "Moxa"),
    (12356, "Fortinet"),
    (13576, "WAGO"),
    (14823, "Aruba"),
    (14988, "MikroTik"),
    (15004, "RuggedCom"),
    (16177, "Westermo"),
    (25506, "H3C"),
    (30065, "Arista Networks"),
];

/// Name the maker registered under a private enterprise number.
pub fn enterprise_name(number: u64) -> Option<&'static str> {
    ENTERPRISES
        .iter()
        .find(|&&(n, _)| n == number)
        .map(|&(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_versions_pdus_and_enterprises() {
        assert_eq!(Version(1).name(), Some("2c"));
        assert_eq!(Version(2).name(), None);
        assert_eq!(PduType(5).name(), Some("get_bulk_request"));
        assert_eq!(PduType(9).name(), None);
        assert!(!PduType::GET_BULK.in_v1());
        assert_eq!(enterprise_name(4329), Some("Siemens"));
        assert_eq!(enterprise_name(8072), None);
    }
}
