//! GE SRTP messages as typed values, and their code tables. GE never published SRTP; the
//! layout is the one public descriptions agree on: Denton et al., "Leveraging the SRTP
//! protocol for over-the-network memory acquisition of a GE Fanuc Series 90-30" (DFRWS 2017,
//! tables 1-4, "the paper"), GE's Series 90 SNP manual GFK-0529 (mailbox message types, error
//! codes, PLC status word) as the Zeek ICSNPP GE SRTP analyzer applies it, and the field notes
//! of the gesrtp-py driver tested against RX3i CPUs.

use rampart_event::Activity;

/// Length of the fixed header every message starts with.
pub const HEADER_LEN: usize = 56;

/// The packet type, byte 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketType(pub u8);

impl PacketType {
    /// The all-zero message that opens a connection.
    pub const INIT: PacketType = PacketType(0);
    /// The PLC's answer to it.
    pub const INIT_ACK: PacketType = PacketType(1);
    /// A service request.
    pub const REQUEST: PacketType = PacketType(2);
    /// The answer to a service request.
    pub const RESPONSE: PacketType = PacketType(3);

    /// Name the packet type, or `None` when no source names it.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "init",
            1 => "init_ack",
            2 => "request",
            3 => "response",
            8 => "unknown_8",
            _ => return None,
        })
    }

    /// Tell whether the PLC sends this type.
    pub fn is_response(self) -> bool {
        matches!(self.0, 1 | 3)
    }
}

/// Name a mailbox message type, byte 31 (GFK-0529: 0xC0 request, 0x80 request with a text
/// buffer, 0xD4 completion ACK, 0x94 ACK with a text buffer, 0xD1 error NACK).
pub fn message_type_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0xc0 => "request",
        0x80 => "request_with_text",
        0xd4 => "ack",
        0x94 => "ack_with_text",
        0xd1 => "error_nack",
        _ => return None,
    })
}

/// The extended request form (0x80), whose service fields sit eight bytes later.
pub const EXTENDED_REQUEST: u8 = 0x80;
/// The short completion ACK, whose status word states the PLC's state.
pub const SHORT_ACK: u8 = 0xd4;

/// A service request code (the paper, table 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service(pub u8);

impl Service {
    /// Name the service, or `None` when the paper does not list it.
    pub fn name(self) -> Option<&'static str> {
        self.entry().map(|(n, _)| n)
    }

    /// Return what the service does to the PLC.
    pub fn activity(self) -> Option<Activity> {
        self.entry().map(|(_, a)| a)
    }

    fn entry(self) -> Option<(&'static str, Activity)> {
        use Activity::*;
        Some(match self.0 {
            0x00 => ("plc_short_status", Diagnostics),
            0x03 => ("return_control_program_names", Identify),
            0x04 => ("read_system_memory", Read),
            0x05 => ("read_task_memory", Read),
            0x06 => ("read_program_memory", Read),
            0x07 => ("write_system_memory", Write),
            0x08 => ("write_task_memory", Write),
            0x09 => ("write_program_block_memory", Write),
            0x20 => ("programmer_logon", Authentication),
            0x21 => ("change_privilege_level", Authentication),
            0x22 => ("set_control_id", ConfigChange),
            // Run or stop, by a byte no public source locates: the reply's status word says
            // which state the PLC is in afterwards.
            0x23 => ("set_plc_state", ModeChange),
            0x24 => ("set_plc_time_date", TimeSync),
            0x25 => ("return_plc_time_date", TimeSync),
            0x38 => ("return_fault_table", Diagnostics),
            0x39 => ("clear_fault_table", Diagnostics),
            0x3f => ("program_store", ProgramUpload),
            0x40 => ("program_load", ProgramDownload),
            0x43 => ("return_controller_type_and_id", Identify),
            0x44 => ("toggle_force_system_memory", Write),
            _ => return None,
        })
    }
}

/// Name a segment selector (the paper, table 3): memory area and access width.
pub fn segment_name(selector: u8) -> Option<(&'static str, &'static str)> {
    Some(match selector {
        0x08 => ("%R", "word"),
        0x0a => ("%AI", "word"),
        0x0c => ("%AQ", "word"),
        0x10 => ("%I", "byte"),
        0x12 => ("%Q", "byte"),
        0x14 => ("%T", "byte"),
        0x16 => ("%M", "byte"),
        0x18 => ("%SA", "byte"),
        0x1a => ("%SB", "byte"),
        0x1c => ("%SC", "byte"),
        0x1e => ("%S", "byte"),
        0x38 => ("%G", "byte"),
        0x46 => ("%I", "bit"),
        0x48 => ("%Q", "bit"),
        0x4a => ("%T", "bit"),
        0x4c => ("%M", "bit"),
        0x4e => ("%SA", "bit"),
        0x50 => ("%SB", "bit"),
        0x52 => ("%SC", "bit"),
        0x54 => ("%S", "bit"),
        0x56 => ("%G", "bit"),
        _ => return None,
    })
}

/// Name a major error status (GFK-0529 table 3-12).
pub fn status_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "no_error",
        0x01 => "illegal_service_request",
        0x02 => "insufficient_privilege",
        0x04 => "protocol_sequence_error",
        0x05 => "service_request_error",
        0x06 => "illegal_mailbox_type",
        0x07 => "request_queue_full",
        _ => return None,
    })
}

/// Name the PLC state of status word bits 12-15 (GFK-0529 table 3-8), and the
/// [`rampart_event::Attribute::PlcMode`] it amounts to.
pub fn plc_state(code: u16) -> Option<(&'static str, &'static str)> {
    Some(match code {
        0 => ("run_io_enabled", "run"),
        1 => ("run_io_disabled", "run"),
        2 => ("stop_io_disabled", "stop"),
        3 => ("cpu_stop_faulted", "stop_faulted"),
        4 => ("cpu_halted", "halted"),
        5 => ("cpu_suspended", "suspended"),
        6 => ("stop_io_enabled", "stop"),
        _ => return None,
    })
}

/// One SRTP message: the header fields that matter, and the text buffer after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Byte 0.
    pub packet_type: PacketType,
    /// Bytes 2-3, little-endian: pairs a response with its request.
    pub sequence: u16,
    /// Bytes 4-5: the length of the text buffer after the header.
    pub text_length: u16,
    /// Byte 31.
    pub message_type: u8,
    /// Bytes 32-35.
    pub mailbox_source: u32,
    /// Bytes 36-39.
    pub mailbox_destination: u32,
    /// Bytes 40 and 41: this packet's number and the total.
    pub packet: (u8, u8),
    /// Bytes 42-55 (short form), as they are.
    pub body: &'a [u8; 14],
    /// The text buffer.
    pub text: &'a [u8],
}

/// A request's service fields (short form at 42, extended form at 50).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceRequest {
    /// Service request code.
    pub service: Service,
    /// Segment selector.
    pub selector: u8,
    /// Memory offset, 0-based.
    pub index: u16,
    /// Number of bits, bytes or words.
    pub count: u16,
}

/// A reply's status fields (bytes 42-55).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Major status: 0 without error.
    pub major: u8,
    /// Minor status.
    pub minor: u8,
    /// Control program number (0xFF: not logged in to a program task).
    pub program: u8,
    /// Current privilege level.
    pub privilege: u8,
    /// Last sweep time.
    pub sweep_time: u16,
    /// PLC status word.
    pub word: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_services_selectors_and_states() {
        assert_eq!(Service(0x40).name(), Some("program_load"));
        assert_eq!(Service(0x40).activity(), Some(Activity::ProgramDownload));
        assert_eq!(Service(0x3f).activity(), Some(Activity::ProgramUpload));
        assert_eq!(Service(0x77).name(), None);
        assert_eq!(segment_name(0x08), Some(("%R", "word")));
        assert_eq!(plc_state(6), Some(("stop_io_enabled", "stop")));
        assert_eq!(message_type_name(0xd1), Some("error_nack"));
    }
}
