//! Modbus messages as typed values, and the code tables they use (Modbus Application Protocol
//! Specification V1.1b3, "the spec"; Modbus Messaging on TCP/IP Implementation Guide V1.0b,
//! "the TCP guide").

use std::fmt;

use rampart_event::Activity;

pub(crate) use crate::label::Label;

/// Length of the MBAP header including the unit identifier (TCP guide §3.1.3).
pub const MBAP_LEN: usize = 7;
/// The largest MBAP length field: a unit identifier and a 253-byte PDU (spec §4.1: the TCP
/// ADU is at most 260 bytes).
pub const MAX_LENGTH: u16 = 254;
/// The largest length field still read as Modbus: some servers answer in longer ADUs than the
/// spec allows (a Modicon echoes a 254-byte UMAS PDU), which are kept and flagged.
pub const LENIENT_LENGTH: u16 = 1024;
/// Values kept per list in a record: reads of 125 registers fit, 2000 coils do not.
pub const MAX_VALUES: usize = 128;

/// The MBAP header (TCP guide §3.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mbap {
    /// Transaction identifier: pairs a response with its request.
    pub tid: u16,
    /// Protocol identifier, 0 for Modbus.
    pub protocol: u16,
    /// Bytes that follow the length field: the unit identifier and the PDU.
    pub length: u16,
    /// Unit identifier: the server behind a gateway, or 0xFF / 0 when addressed directly.
    pub unit: u8,
}

impl Mbap {
    /// Return the length of the whole ADU: the six bytes before the unit identifier plus
    /// what the length field counts.
    pub fn adu_len(self) -> usize {
        6 + usize::from(self.length)
    }
}

/// How the spec classes a function code (§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Publicly documented (1-8, 11, 12, 15-17, 20-24, 43), or UMAS (90).
    Public,
    /// Reserved for legacy products (9, 10, 13, 14, 41, 42, 91, 125-127).
    Reserved,
    /// User-defined (65-72, 100-110).
    UserDefined,
    /// Anything else.
    Unassigned,
}

/// A function code without its exception bit (spec §5, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    /// Write Single Coil (§6.5).
    pub const WRITE_SINGLE_COIL: FunctionCode = FunctionCode(5);
    /// Write Multiple Coils (§6.11).
    pub const WRITE_MULTIPLE_COILS: FunctionCode = FunctionCode(15);
    /// Write File Record (§6.15).
    pub const WRITE_FILE_RECORD: FunctionCode = FunctionCode(21);
    /// Encapsulated Interface Transport (§6.19-6.21).
    pub const ENCAPSULATED_INTERFACE: FunctionCode = FunctionCode(43);
    /// Schneider Electric UMAS, in a code the spec reserves (§5.1, Annex A).
    pub const UMAS: FunctionCode = FunctionCode(90);

    /// Name the function as Zeek's modbus.log does, in snake case, or `None` when not public.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "read_coils",
            2 => "read_discrete_inputs",
            3 => "read_holding_registers",
            4 => "read_input_registers",
            5 => "write_single_coil",
            6 => "write_single_register",
            7 => "read_exception_status",
            8 => "diagnostics",
            11 => "get_comm_event_counter",
            12 => "get_comm_event_log",
            15 => "write_multiple_coils",
            16 => "write_multiple_registers",
            17 => "report_server_id",
            20 => "read_file_record",
            21 => "write_file_record",
            22 => "mask_write_register",
            23 => "read_write_multiple_registers",
            24 => "read_fifo_queue",
            43 => "encapsulated_interface_transport",
            90 => "umas",
            _ => return None,
        })
    }

    /// Class the code as the spec does (§5.1 and Annex A).
    pub fn class(self) -> Class {
        match self.0 {
            _ if self.name().is_some() => Class::Public,
            9 | 10 | 13 | 14 | 41 | 42 | 91 | 125..=127 => Class::Reserved,
            65..=72 | 100..=110 => Class::UserDefined,
            _ => Class::Unassigned,
        }
    }

    /// Return the record kind: the function's name, or the class of an unnamed code.
    pub fn kind(self) -> &'static str {
        match self.class() {
            Class::Public => self.name().unwrap_or("unknown_function"),
            Class::Reserved => "reserved_function",
            Class::UserDefined => "user_defined_function",
            Class::Unassigned => "unknown_function",
        }
    }

    /// Return what a request of this function does, when the code alone says it (diagnostics,
    /// encapsulated transport and UMAS depend on what follows).
    pub fn activity(self) -> Option<Activity> {
        Some(match self.0 {
            1..=4 | 20 | 24 => Activity::Read,
            5 | 6 | 15 | 16 | 21..=23 => Activity::Write,
            7 | 8 | 11 | 12 => Activity::Diagnostics,
            17 => Activity::Identify,
            _ => return None,
        })
    }
}

impl fmt::Display for FunctionCode {
    /// Write the name, or the code in hex with its class (`0x5a (unknown)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.class()) {
            (Some(name), _) => f.write_str(name),
            (None, Class::Reserved) => write!(f, "0x{:02x} (reserved)", self.0),
            (None, Class::UserDefined) => write!(f, "0x{:02x} (user defined)", self.0),
            (None, _) => write!(f, "0x{:02x} (unknown)", self.0),
        }
    }
}

/// Name an exception code (spec §7), or `None` when unassigned.
pub fn exception_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "illegal_function",
        2 => "illegal_data_address",
        3 => "illegal_data_value",
        4 => "server_device_failure",
        5 => "acknowledge",
        6 => "server_device_busy",
        8 => "memory_parity_error",
        10 => "gateway_path_unavailable",
        11 => "gateway_target_device_failed_to_respond",
        _ => return None,
    })
}

/// Diagnostics sub-function 1, which restarts the server's serial port (§6.8.1).
pub const RESTART_COMMUNICATIONS: u16 = 1;

/// Name a diagnostics sub-function (spec §6.8.1), or `None` when reserved.
pub fn diagnostic_name(sub_function: u16) -> Option<&'static str> {
    Some(match sub_function {
        0 => "return_query_data",
        1 => "restart_communications_option",
        2 => "return_diagnostic_register",
        3 => "change_ascii_input_delimiter",
        4 => "force_listen_only_mode",
        10 => "clear_counters_and_diagnostic_register",
        11 => "return_bus_message_count",
        12 => "return_bus_communication_error_count",
        13 => "return_bus_exception_error_count",
        14 => "return_server_message_count",
        15 => "return_server_no_response_count",
        16 => "return_server_nak_count",
        17 => "return_server_busy_count",
        18 => "return_bus_character_overrun_count",
        20 => "clear_overrun_counter_and_flag",
        _ => return None,
    })
}

/// MEI type 13: CANopen General Reference (§6.20).
pub const MEI_CANOPEN: u8 = 13;
/// MEI type 14: Read Device Identification (§6.21).
pub const MEI_DEVICE_ID: u8 = 14;

/// Name an MEI type of function 43 (spec §6.19), or `None` when reserved.
pub fn mei_name(mei: u8) -> Option<&'static str> {
    match mei {
        MEI_CANOPEN => Some("canopen_general_reference"),
        MEI_DEVICE_ID => Some("read_device_identification"),
        _ => None,
    }
}

/// Name a Read Device ID code (spec §6.21: 1 basic, 2 regular, 3 extended stream, 4 one
/// specific object).
pub fn device_id_code_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "basic",
        2 => "regular",
        3 => "extended",
        4 => "specific",
        _ => return None,
    })
}

/// The standard device identification objects 0-6 (spec §6.21, table of object ids): their
/// record field names and the names tshark and the spec give them.
pub const DEVICE_OBJECTS: [(&str, &str); 7] = [
    ("vendor_name", "VendorName"),
    ("product_code", "ProductCode"),
    ("revision", "MajorMinorRevision"),
    ("vendor_url", "VendorUrl"),
    ("product_name", "ProductName"),
    ("model_name", "ModelName"),
    ("user_application_name", "UserApplicationName"),
];

/// A request PDU after its function code, as far as the function defines it (spec §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// Functions 1-4: the range to read.
    Read {
        /// Starting address.
        address: u16,
        /// Number of coils, inputs or registers.
        quantity: u16,
    },
    /// Functions 5 and 6: one coil or register.
    WriteSingle {
        /// Output or register address.
        address: u16,
        /// The value (0xFF00 or 0x0000 for a coil).
        value: u16,
    },
    /// Functions 15 and 16: a range and its values as on the wire.
    WriteMultiple {
        /// Starting address.
        address: u16,
        /// Number of coils or registers.
        quantity: u16,
        /// Packed coils or big-endian registers.
        values: &'a [u8],
    },
    /// Function 8.
    Diagnostics {
        /// The sub-function code.
        sub_function: u16,
        /// Its data.
        data: &'a [u8],
    },
    /// Function 20: seven-byte sub-requests.
    ReadFileRecord {
        /// The sub-requests.
        sub_requests: &'a [u8],
    },
    /// Function 21: sub-requests with their record data.
    WriteFileRecord {
        /// The sub-requests.
        sub_requests: &'a [u8],
    },
    /// Function 22.
    MaskWrite {
        /// Register address.
        address: u16,
        /// AND mask.
        and_mask: u16,
        /// OR mask.
        or_mask: u16,
    },
    /// Function 23.
    ReadWrite {
        /// Starting address to read.
        read_address: u16,
        /// Registers to read.
        read_quantity: u16,
        /// Starting address to write.
        write_address: u16,
        /// Registers to write.
        write_quantity: u16,
        /// The values written, big-endian.
        values: &'a [u8],
    },
    /// Function 24.
    ReadFifo {
        /// FIFO pointer address.
        address: u16,
    },
    /// Function 43, MEI type 14.
    DeviceId {
        /// Read Device ID code.
        code: u8,
        /// The first object asked for.
        object_id: u8,
    },
    /// Function 43 with another MEI type (13 CANopen, or reserved).
    Mei {
        /// The MEI type.
        mei: u8,
        /// What follows it.
        data: &'a [u8],
    },
    /// Function 90: Schneider UMAS.
    Umas(super::umas::UmasRequest<'a>),
    /// Functions without request data (7, 11, 12, 17).
    Empty,
    /// A function this parser does not know: its data, kept raw.
    Raw(&'a [u8]),
}

/// A response PDU after its function code (spec §6, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response<'a> {
    /// An exception response: the function code has bit 7 set (§7).
    Exception(u8),
    /// Functions 1-4 and 23: the data after the byte count.
    Data(&'a [u8]),
    /// Functions 5, 6, 15 and 16: the request's address and value or quantity, repeated.
    Echo {
        /// Address.
        address: u16,
        /// Value or quantity.
        value: u16,
    },
    /// Function 22, repeated.
    MaskWrite {
        /// Register address.
        address: u16,
        /// AND mask.
        and_mask: u16,
        /// OR mask.
        or_mask: u16,
    },
    /// Function 7: eight exception status outputs.
    ExceptionStatus(u8),
    /// Function 8.
    Diagnostics {
        /// The sub-function, repeated.
        sub_function: u16,
        /// Echoed data or a counter.
        data: &'a [u8],
    },
    /// Function 11.
    EventCounter {
        /// 0xFFFF while a previous command is still being processed.
        status: u16,
        /// Event count.
        count: u16,
    },
    /// Function 12.
    EventLog {
        /// Status word.
        status: u16,
        /// Event count.
        event_count: u16,
        /// Message count.
        message_count: u16,
        /// Event bytes, most recent first.
        events: &'a [u8],
    },
    /// Function 17: server id, run indicator and additional data, device-specific.
    ServerId(&'a [u8]),
    /// Function 20: sub-responses.
    ReadFileRecord {
        /// The sub-responses.
        sub_responses: &'a [u8],
    },
    /// Function 21: the request, repeated.
    WriteFileRecord {
        /// The sub-requests.
        sub_requests: &'a [u8],
    },
    /// Function 24.
    Fifo {
        /// Registers in the queue.
        count: u16,
        /// Their values.
        values: &'a [u8],
    },
    /// Function 43, MEI type 14.
    DeviceId(DeviceId<'a>),
    /// Function 43 with another MEI type.
    Mei {
        /// The MEI type.
        mei: u8,
        /// What follows it.
        data: &'a [u8],
    },
    /// Function 90: Schneider UMAS.
    Umas(super::umas::UmasResponse<'a>),
    /// A function this parser does not know: its data, kept raw.
    Raw(&'a [u8]),
}

/// A Read Device Identification response (spec §6.21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceId<'a> {
    /// Read Device ID code, repeated.
    pub code: u8,
    /// Conformity level (0x01-0x03, 0x81-0x83).
    pub conformity: u8,
    /// More objects follow in another transaction (0xFF).
    pub more_follows: bool,
    /// The object to ask for next.
    pub next_object_id: u8,
    /// Number of objects claimed.
    pub count: u8,
    /// The objects: id, length, value each.
    pub objects: &'a [u8],
}

/// Name a code from a table, or print it in hex as unknown (`0x0c (unknown)`).
pub fn code_text(name: Option<&'static str>, code: u16, width: usize) -> Label {
    Label::code(name, code.into(), width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unknown_function_code() {
        assert_eq!(FunctionCode(0x5a).to_string(), "umas");
        assert_eq!(FunctionCode(0x2f).to_string(), "0x2f (unknown)");
        assert_eq!(FunctionCode(0x09).to_string(), "0x09 (reserved)");
        assert_eq!(FunctionCode(0x41).to_string(), "0x41 (user defined)");
        assert_eq!(FunctionCode(0x2f).kind(), "unknown_function");
        assert_eq!(FunctionCode(3).kind(), "read_holding_registers");
    }

    #[test]
    fn classes_function_codes_as_the_spec_does() {
        assert_eq!(FunctionCode(127).class(), Class::Reserved);
        assert_eq!(FunctionCode(105).class(), Class::UserDefined);
        assert_eq!(FunctionCode(0).class(), Class::Unassigned);
        assert_eq!(FunctionCode(43).class(), Class::Public);
        assert_eq!(FunctionCode(16).activity(), Some(Activity::Write));
        assert_eq!(FunctionCode(43).activity(), None);
    }

    #[test]
    fn names_codes_on_the_stack() {
        assert_eq!(
            code_text(exception_name(2), 2, 2).as_str(),
            "illegal_data_address"
        );
        assert_eq!(
            code_text(exception_name(12), 12, 2).as_str(),
            "0x0c (unknown)"
        );
        assert_eq!(code_text(None, 0x13, 4).as_str(), "0x0013 (unknown)");
    }
}
