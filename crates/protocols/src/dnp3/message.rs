//! DNP3 code points as open types, and the object library facts the parser needs.
//!
//! Every code is kept as its raw number; names are looked up, never required, so an
//! unassigned code survives into the record and prints as `0x5a (unknown)`.

use std::fmt;

/// The link-layer control octet (IEEE 1815-2012 §9.2.4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkControl(pub u8);

impl LinkControl {
    /// DIR: set on frames sent by the master.
    pub fn dir(self) -> bool {
        self.0 & 0x80 != 0
    }

    /// PRM: set on frames from the primary (initiating) station.
    pub fn prm(self) -> bool {
        self.0 & 0x40 != 0
    }

    /// FCB: the frame count bit of a primary frame.
    pub fn fcb(self) -> bool {
        self.0 & 0x20 != 0
    }

    /// FCV on a primary frame, DFC (data flow control) on a secondary one.
    pub fn fcv_dfc(self) -> bool {
        self.0 & 0x10 != 0
    }

    /// The four-bit function code.
    pub fn function(self) -> u8 {
        self.0 & 0x0f
    }

    /// Name the function code by the station kind (§9.2.4.1.3.5, Tables 9-1 and 9-2).
    pub fn function_name(self) -> Option<&'static str> {
        if self.prm() {
            Some(match self.function() {
                0 => "reset_link_states",
                1 => "reset_user_process",
                2 => "test_link_states",
                3 => "confirmed_user_data",
                4 => "unconfirmed_user_data",
                9 => "request_link_status",
                _ => return None,
            })
        } else {
            Some(match self.function() {
                0 => "ack",
                1 => "nack",
                11 => "link_status",
                14 => "not_functioning",
                15 => "not_supported",
                _ => return None,
            })
        }
    }

    /// Tell whether the frame carries transport and application data.
    pub fn carries_user_data(self) -> bool {
        self.prm() && matches!(self.function(), 3 | 4)
    }
}

/// The transport header octet (§8.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportHeader(pub u8);

impl TransportHeader {
    /// FIN: the last segment of a fragment.
    pub fn fin(self) -> bool {
        self.0 & 0x80 != 0
    }

    /// FIR: the first segment of a fragment.
    pub fn fir(self) -> bool {
        self.0 & 0x40 != 0
    }

    /// The six-bit segment sequence number.
    pub fn seq(self) -> u8 {
        self.0 & 0x3f
    }
}

/// The application control octet (§4.2.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppControl(pub u8);

impl AppControl {
    /// FIR: the first fragment of a message.
    pub fn fir(self) -> bool {
        self.0 & 0x80 != 0
    }

    /// FIN: the last fragment of a message.
    pub fn fin(self) -> bool {
        self.0 & 0x40 != 0
    }

    /// CON: the receiver must confirm this fragment.
    pub fn con(self) -> bool {
        self.0 & 0x20 != 0
    }

    /// UNS: an unsolicited response, or the confirm of one.
    pub fn uns(self) -> bool {
        self.0 & 0x10 != 0
    }

    /// The four-bit application sequence number.
    pub fn seq(self) -> u8 {
        self.0 & 0x0f
    }
}

/// An application-layer function code (§4.2.2.5, Table 4-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    /// Confirm.
    pub const CONFIRM: FunctionCode = FunctionCode(0);
    /// Response.
    pub const RESPONSE: FunctionCode = FunctionCode(129);
    /// Unsolicited response.
    pub const UNSOLICITED_RESPONSE: FunctionCode = FunctionCode(130);
    /// Authentication response (Secure Authentication).
    pub const AUTHENTICATE_RESP: FunctionCode = FunctionCode(131);

    /// Name the code as Zeek's dnp3.log spells it, in lower case, or `None` when unassigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "confirm",
            1 => "read",
            2 => "write",
            3 => "select",
            4 => "operate",
            5 => "direct_operate",
            6 => "direct_operate_nr",
            7 => "immed_freeze",
            8 => "immed_freeze_nr",
            9 => "freeze_clear",
            10 => "freeze_clear_nr",
            11 => "freeze_at_time",
            12 => "freeze_at_time_nr",
            13 => "cold_restart",
            14 => "warm_restart",
            15 => "initialize_data",
            16 => "initialize_appl",
            17 => "start_appl",
            18 => "stop_appl",
            19 => "save_config",
            20 => "enable_unsolicited",
            21 => "disable_unsolicited",
            22 => "assign_class",
            23 => "delay_measure",
            24 => "record_current_time",
            25 => "open_file",
            26 => "close_file",
            27 => "delete_file",
            28 => "get_file_info",
            29 => "authenticate_file",
            30 => "abort_file",
            31 => "activate_config",
            32 => "authenticate_req",
            33 => "authenticate_err",
            129 => "response",
            130 => "unsolicited_response",
            131 => "authenticate_resp",
            _ => return None,
        })
    }

    /// Tell whether the code is a response (its header carries the IIN octets).
    pub fn is_response(self) -> bool {
        self.0 >= 129
    }

    /// Tell whether a request with this code expects no response from the outstation.
    pub fn expects_no_response(self) -> bool {
        matches!(self.0, 0 | 6 | 8 | 10 | 12 | 33)
    }

    /// Tell whether object headers of this request are followed by object data: requests
    /// that only name points (read, freeze, class assignment, unsolicited control) carry none,
    /// except the time-and-interval object of a freeze at time (§4.4.7).
    pub fn carries_object_data(self, group: u8) -> bool {
        match self.0 {
            1 | 7..=10 | 15 | 20..=22 => false,
            11 | 12 => group == 50,
            _ => true,
        }
    }
}

impl fmt::Display for FunctionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "0x{:02x} (unknown)", self.0),
        }
    }
}

/// Names of the internal indication bits, IIN1.0 first (§4.2.2.7.2), as Suricata's EVE
/// dnp3 records name them.
const IIN_NAMES: [(u16, &str); 16] = [
    (0x0100, "all_stations"),
    (0x0200, "class_1_events"),
    (0x0400, "class_2_events"),
    (0x0800, "class_3_events"),
    (0x1000, "need_time"),
    (0x2000, "local_control"),
    (0x4000, "device_trouble"),
    (0x8000, "device_restart"),
    (0x0001, "no_func_code_support"),
    (0x0002, "object_unknown"),
    (0x0004, "parameter_error"),
    (0x0008, "event_buffer_overflow"),
    (0x0010, "already_executing"),
    (0x0020, "config_corrupt"),
    (0x0040, "reserved_2"),
    (0x0080, "reserved_1"),
];

/// The internal indications of a response: IIN1 in the high byte, IIN2 in the low byte, as
/// Wireshark shows them (`0x9000` is device restart and need time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Iin(pub u16);

impl Iin {
    /// Write the names of the set bits into `out`, returning how many there are.
    pub fn names(self, out: &mut [&'static str; 16]) -> usize {
        let mut n = 0;
        for (bit, name) in IIN_NAMES {
            if self.0 & bit != 0 {
                out[n] = name;
                n += 1;
            }
        }
        n
    }
}

/// How the objects of a header are prefixed (qualifier bits 4–6, §4.2.2.7.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    /// No prefix.
    None,
    /// An index of 1, 2 or 4 octets before each object.
    Index(usize),
    /// An object size of 1, 2 or 4 octets before each object.
    Size(usize),
}

/// The qualifier octet of an object header (§4.2.2.7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Qualifier(pub u8);

impl Qualifier {
    /// The object prefix code, or `None` for the reserved code 7.
    pub fn prefix(self) -> Option<Prefix> {
        Some(match (self.0 >> 4) & 0x07 {
            0 => Prefix::None,
            1 => Prefix::Index(1),
            2 => Prefix::Index(2),
            3 => Prefix::Index(4),
            4 => Prefix::Size(1),
            5 => Prefix::Size(2),
            6 => Prefix::Size(4),
            _ => return None,
        })
    }

    /// The range specifier code (low four bits).
    pub fn range_code(self) -> u8 {
        self.0 & 0x0f
    }
}

/// The range field of an object header, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Start and stop indices (or virtual addresses), inclusive.
    StartStop {
        /// First index.
        start: u32,
        /// Last index.
        stop: u32,
    },
    /// A count of objects.
    Count(u32),
    /// No range field: all objects of the type (range code 6).
    All,
}

impl Range {
    /// Return how many objects the range covers.
    pub fn count(self) -> u64 {
        match self {
            Range::StartStop { start, stop } => u64::from(stop.saturating_sub(start)) + 1,
            Range::Count(n) => u64::from(n),
            Range::All => 0,
        }
    }
}

/// How big one object of a group and variation is (IEEE 1815-2012 Annex A, object library).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectSize {
    /// A fixed number of octets.
    Fixed(usize),
    /// Packed bits: this many bits per object, the whole rounded up to octets.
    Bits(usize),
    /// No data at all (class objects).
    Empty,
    /// A device attribute (group 0): data type, length and value.
    Attribute,
    /// Octet strings and virtual terminal blocks: the variation is the length.
    VariationLength,
    /// Not known here: only a size prefix lets the parser step over it.
    Unknown,
}

/// Return the size of one object of `group` and `variation` in a message that carries data.
pub fn object_size(group: u8, variation: u8) -> ObjectSize {
    use ObjectSize::{Attribute, Bits, Empty, Fixed, Unknown, VariationLength};
    match (group, variation) {
        (0, 1..=255) => Attribute,
        (1, 1) | (10, 1) | (12, 3) | (80, 1) => Bits(1),
        (3, 1) => Bits(2),
        (1, 2) | (3, 2) | (10, 2) | (11, 1) | (13, 1) | (102, 1) => Fixed(1),
        (2 | 4, 1) => Fixed(1),
        (2 | 4 | 11 | 13, 2) => Fixed(7),
        (2 | 4, 3) => Fixed(3),
        (12, 1 | 2) => Fixed(11),
        (20, 1 | 3) | (21, 1 | 3) | (22 | 23, 1 | 3) => Fixed(5),
        (20, 2 | 4) | (21, 2 | 4) | (22 | 23, 2 | 4) => Fixed(3),
        (20, 5 | 7) | (21, 9 | 11) => Fixed(4),
        (20, 6 | 8) | (21, 10 | 12) => Fixed(2),
        (21, 5 | 7) | (22 | 23, 5 | 7) => Fixed(11),
        (21, 6 | 8) | (22 | 23, 6 | 8) => Fixed(9),
        (30, 1 | 5) | (31, 1 | 7) => Fixed(5),
        (30, 2) | (31, 2) => Fixed(3),
        (30, 3) | (31, 5) => Fixed(4),
        (30, 4) | (31, 6) => Fixed(2),
        (30, 6) | (31, 8) => Fixed(9),
        (31, 3) => Fixed(11),
        (31, 4) => Fixed(9),
        (32 | 33 | 42 | 43, 1 | 5) => Fixed(5),
        (32 | 33 | 42 | 43, 2) => Fixed(3),
        (32 | 33 | 42 | 43, 3 | 7) => Fixed(11),
        (32 | 33 | 42 | 43, 4) => Fixed(9),
        (32 | 33 | 42 | 43, 6) => Fixed(9),
        (32 | 33 | 42 | 43, 8) => Fixed(15),
        (34, 1) => Fixed(2),
        (34, 2 | 3) => Fixed(4),
        (40 | 41, 1 | 3) => Fixed(5),
        (40 | 41, 2) => Fixed(3),
        (40 | 41, 4) => Fixed(9),
        (50, 1 | 3) | (51, 1 | 2) => Fixed(6),
        (50, 2) => Fixed(10),
        (50, 4) => Fixed(11),
        (52, 1 | 2) => Fixed(2),
        (60, 1..=4) => Empty,
        (101, 1) => Fixed(2),
        (101, 2) => Fixed(4),
        (101, 3) => Fixed(8),
        (110..=113, 1..=255) => VariationLength,
        (120, 3) => Fixed(6),
        (120, 4) => Fixed(2),
        (121, 1) | (122, 1) => Fixed(7),
        (122, 2) => Fixed(13),
        _ => Unknown,
    }
}

/// Name an object group (Annex A), in snake case, or `None` for groups not named here.
pub fn group_name(group: u8) -> Option<&'static str> {
    Some(match group {
        0 => "device_attributes",
        1 => "binary_input",
        2 => "binary_input_event",
        3 => "double_bit_binary_input",
        4 => "double_bit_binary_input_event",
        10 => "binary_output",
        11 => "binary_output_event",
        12 => "binary_output_command",
        13 => "binary_output_command_event",
        20 => "counter",
        21 => "frozen_counter",
        22 => "counter_event",
        23 => "frozen_counter_event",
        30 => "analog_input",
        31 => "frozen_analog_input",
        32 => "analog_input_event",
        33 => "frozen_analog_input_event",
        34 => "analog_input_deadband",
        40 => "analog_output_status",
        41 => "analog_output",
        42 => "analog_output_event",
        43 => "analog_output_command_event",
        50 => "time_and_date",
        51 => "time_and_date_cto",
        52 => "time_delay",
        60 => "class_data",
        70 => "file_control",
        80 => "internal_indications",
        81 => "device_storage",
        82 => "device_profile",
        83 => "data_set_registration",
        85 => "data_set_prototype",
        86 => "data_set_descriptor",
        87 => "data_set",
        88 => "data_set_event",
        90 => "application_identifier",
        91 => "status_of_requested_operation",
        101 => "bcd",
        102 => "unsigned_integer",
        110 => "octet_string",
        111 => "octet_string_event",
        112 => "virtual_terminal_output",
        113 => "virtual_terminal_event",
        120 => "authentication",
        121 => "security_statistic",
        122 => "security_statistic_event",
        _ => return None,
    })
}

/// Name a Secure Authentication object (group 120, IEEE 1815-2012 §7.5.2 and Annex A.45),
/// or `None` for variations not assigned.
pub fn authentication_object_name(variation: u8) -> Option<&'static str> {
    Some(match variation {
        1 => "challenge",
        2 => "reply",
        3 => "aggressive_mode_request",
        4 => "session_key_status_request",
        5 => "session_key_status",
        6 => "session_key_change",
        7 => "error",
        8 => "user_certificate",
        9 => "mac",
        10 => "user_status_change",
        11 => "update_key_change_request",
        12 => "update_key_change_reply",
        13 => "update_key_change",
        14 => "update_key_change_signature",
        15 => "update_key_change_confirmation",
        _ => return None,
    })
}

/// What a device attribute variation (group 0, Annex A.1) tells about the device, for the
/// attributes that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAttribute {
    /// v252: device manufacturer's name.
    Manufacturer,
    /// v250: device product name and model.
    Model,
    /// v242: manufacturer's software version.
    SoftwareVersion,
    /// v243: manufacturer's hardware version.
    HardwareVersion,
    /// v248: serial number.
    Serial,
    /// v247: user-assigned device name.
    DeviceName,
    /// v245: user-assigned location.
    Location,
}

impl DeviceAttribute {
    /// Return the attribute a group 0 variation holds, if it names the device.
    pub fn of_variation(variation: u8) -> Option<DeviceAttribute> {
        Some(match variation {
            252 => DeviceAttribute::Manufacturer,
            250 => DeviceAttribute::Model,
            242 => DeviceAttribute::SoftwareVersion,
            243 => DeviceAttribute::HardwareVersion,
            248 => DeviceAttribute::Serial,
            247 => DeviceAttribute::DeviceName,
            245 => DeviceAttribute::Location,
            _ => return None,
        })
    }
}

/// Tell whether a link address is a broadcast address (0xFFFD–0xFFFF, §9.2.5.4): requests
/// sent there are not answered.
pub fn is_broadcast(address: u16) -> bool {
    address >= 0xfffd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_function_codes_and_keeps_unknown_ones() {
        assert_eq!(FunctionCode(13).to_string(), "13 (cold_restart)");
        assert_eq!(FunctionCode(0x5a).to_string(), "0x5a (unknown)");
        assert!(FunctionCode::RESPONSE.is_response());
        assert!(FunctionCode(6).expects_no_response());
        assert!(!FunctionCode(5).expects_no_response());
    }

    #[test]
    fn names_link_functions_by_station_kind() {
        assert_eq!(
            LinkControl(0xc4).function_name(),
            Some("unconfirmed_user_data")
        );
        assert_eq!(LinkControl(0x0b).function_name(), Some("link_status"));
        assert_eq!(LinkControl(0x4f).function_name(), None);
        assert!(LinkControl(0x44).carries_user_data());
        assert!(!LinkControl(0x00).carries_user_data());
    }

    #[test]
    fn names_set_iin_bits_in_order() {
        let mut names = [""; 16];
        let n = Iin(0x9000).names(&mut names);
        assert_eq!(&names[..n], &["need_time", "device_restart"]);
    }

    #[test]
    fn decodes_qualifier_prefixes_and_ranges() {
        assert_eq!(Qualifier(0x28).prefix(), Some(Prefix::Index(2)));
        assert_eq!(Qualifier(0x5b).prefix(), Some(Prefix::Size(2)));
        assert_eq!(Qualifier(0x70).prefix(), None);
        assert_eq!(Range::StartStop { start: 3, stop: 5 }.count(), 3);
        assert_eq!(Range::All.count(), 0);
    }

    #[test]
    fn sizes_common_objects_from_the_library() {
        assert_eq!(object_size(12, 1), ObjectSize::Fixed(11));
        assert_eq!(object_size(30, 5), ObjectSize::Fixed(5));
        assert_eq!(object_size(32, 8), ObjectSize::Fixed(15));
        assert_eq!(object_size(1, 1), ObjectSize::Bits(1));
        assert_eq!(object_size(60, 2), ObjectSize::Empty);
        assert_eq!(object_size(110, 9), ObjectSize::VariationLength);
        assert_eq!(object_size(120, 1), ObjectSize::Unknown);
        assert_eq!(object_size(30, 0), ObjectSize::Unknown);
    }
}
