//! S7comm messages as typed values and the code tables they use. Names follow the public
//! descriptions of the protocol (the Wireshark S7comm documentation, Zeek ICSNPP-S7comm,
//! Siemens' "System Software for S7-300/400" manual for SZL and PI services), in snake case.

use std::fmt;

/// Remote operating service control: the PDU type in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rosctr(pub u8);

impl Rosctr {
    /// A request.
    pub const JOB: Rosctr = Rosctr(1);
    /// An acknowledgement without data.
    pub const ACK: Rosctr = Rosctr(2);
    /// An acknowledgement with data: the usual response.
    pub const ACK_DATA: Rosctr = Rosctr(3);
    /// Extended "user data" services (SZL, block info, cyclic data, alarms, clock, …).
    pub const USERDATA: Rosctr = Rosctr(7);

    /// Name the PDU type.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "job",
            2 => "ack",
            3 => "ack_data",
            7 => "userdata",
            _ => return None,
        })
    }

    /// Tell whether the header carries an error class and code (12 octets, not 10).
    pub fn has_error(self) -> bool {
        matches!(self, Rosctr::ACK | Rosctr::ACK_DATA)
    }
}

/// The first parameter octet of a job or ack_data: the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function(pub u8);

impl Function {
    /// Read variables.
    pub const READ_VAR: Function = Function(0x04);
    /// Write variables.
    pub const WRITE_VAR: Function = Function(0x05);
    /// Request download (engineering station to PLC).
    pub const REQUEST_DOWNLOAD: Function = Function(0x1a);
    /// Download block (a job the PLC sends to fetch the block).
    pub const DOWNLOAD_BLOCK: Function = Function(0x1b);
    /// Download ended (PLC to engineering station).
    pub const DOWNLOAD_ENDED: Function = Function(0x1c);
    /// Start upload.
    pub const START_UPLOAD: Function = Function(0x1d);
    /// Upload.
    pub const UPLOAD: Function = Function(0x1e);
    /// End upload.
    pub const END_UPLOAD: Function = Function(0x1f);
    /// PLC control: a program invocation (PI) service.
    pub const PLC_CONTROL: Function = Function(0x28);
    /// PLC stop.
    pub const PLC_STOP: Function = Function(0x29);
    /// Setup communication.
    pub const SETUP_COMMUNICATION: Function = Function(0xf0);

    /// Name the function.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "cpu_services",
            0x04 => "read_var",
            0x05 => "write_var",
            0x1a => "request_download",
            0x1b => "download_block",
            0x1c => "download_ended",
            0x1d => "start_upload",
            0x1e => "upload",
            0x1f => "end_upload",
            0x28 => "plc_control",
            0x29 => "plc_stop",
            0xf0 => "setup_communication",
            _ => return None,
        })
    }

    /// Tell whether the function moves a block, and so carries a file name.
    pub fn is_block_transfer(self) -> bool {
        (0x1a..=0x1f).contains(&self.0)
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:02x} (unknown)", self.0),
        }
    }
}

/// Name an error class of an ack or ack_data header.
pub fn error_class_name(class: u8) -> Option<&'static str> {
    Some(match class {
        0x00 => "no_error",
        0x81 => "application_relationship",
        0x82 => "object_definition",
        0x83 => "no_resources_available",
        0x84 => "error_on_service_processing",
        0x85 => "error_on_supplies",
        0x87 => "access_error",
        _ => return None,
    })
}

/// Name a return code of a variable item or user data unit.
pub fn return_code_name(code: u8) -> &'static str {
    match code {
        0x00 => "reserved",
        0x01 => "hardware_error",
        0x03 => "access_denied",
        0x05 => "invalid_address",
        0x06 => "data_type_not_supported",
        0x07 => "data_type_inconsistent",
        0x0a => "object_does_not_exist",
        0xff => "success",
        _ => "unknown",
    }
}

/// A memory area of an S7ANY address, with the letters of the S7 ANY-pointer notation.
pub fn area_name(area: u8) -> Option<&'static str> {
    Some(match area {
        0x03 => "SI",
        0x05 => "SF",
        0x06 => "AI",
        0x07 => "AQ",
        0x1c => "C",
        0x1d => "T",
        0x1e => "IEC_C",
        0x1f => "IEC_T",
        0x80 => "P",
        0x81 => "I",
        0x82 => "Q",
        0x83 => "M",
        0x84 => "DB",
        0x85 => "DI",
        0x86 => "L",
        0x87 => "V",
        _ => return None,
    })
}

/// Name the transport size (data type) of an S7ANY item.
pub fn transport_size_name(size: u8) -> Option<&'static str> {
    Some(match size {
        0x01 => "BIT",
        0x02 => "BYTE",
        0x03 => "CHAR",
        0x04 => "WORD",
        0x05 => "INT",
        0x06 => "DWORD",
        0x07 => "DINT",
        0x08 => "REAL",
        0x09 => "DATE",
        0x0a => "TOD",
        0x0b => "TIME",
        0x0c => "S5TIME",
        0x0f => "DATE_AND_TIME",
        0x1c => "COUNTER",
        0x1d => "TIMER",
        0x1e => "IEC_TIMER",
        0x1f => "IEC_COUNTER",
        0x20 => "HS_COUNTER",
        _ => return None,
    })
}

/// Name the syntax of a variable specification.
pub fn syntax_name(syntax: u8) -> Option<&'static str> {
    Some(match syntax {
        0x10 => "S7ANY",
        0x13 => "PBC_R_ID",
        0x15 => "ALARM_LOCKFREE",
        0x16 => "ALARM_IND",
        0x19 => "ALARM_ACK",
        0x1a => "ALARM_QUERYREQ",
        0x1c => "NOTIFY_IND",
        0x82 => "NCK",
        0x83 => "NCK_METRIC",
        0x84 => "NCK_INCH",
        0xa2 => "DRIVEESANY",
        0xb0 => "DBREAD",
        0xb2 => "1200SYM",
        _ => return None,
    })
}

/// A block type as the two characters of a file name (`_0A00001P`: `0A` is a DB).
pub fn block_type_name(code: &[u8]) -> Option<&'static str> {
    Some(match code {
        b"08" => "OB",
        b"0A" => "DB",
        b"0B" => "SDB",
        b"0C" => "FC",
        b"0D" => "SFC",
        b"0E" => "FB",
        b"0F" => "SFB",
        _ => return None,
    })
}

/// Name a user data function group (low nibble of the type/group octet).
pub fn group_name(group: u8) -> Option<&'static str> {
    Some(match group {
        0x0 => "mode_transition",
        0x1 => "programmer_commands",
        0x2 => "cyclic_data",
        0x3 => "block_functions",
        0x4 => "cpu_functions",
        0x5 => "security",
        0x6 => "pbc_bsend_brecv",
        0x7 => "time_functions",
        0xf => "nc_programming",
        _ => return None,
    })
}

/// Name a subfunction of a user data function group.
pub fn subfunction_name(group: u8, sub: u8) -> Option<&'static str> {
    Some(match (group, sub) {
        (0x1, 0x01) => "request_diag_data",
        (0x1, 0x02) => "vartab",
        (0x1, 0x0c) => "erase",
        (0x1, 0x0e) => "read_diag_data",
        (0x1, 0x0f) => "remove_diag_data",
        (0x1, 0x10) => "forces",
        (0x1, 0x13) => "request_diag_data_type2",
        (0x2, 0x01) => "cyclic_transfer",
        (0x2, 0x04) => "unsubscribe",
        (0x2, 0x05) => "change_driven_transfer",
        (0x2, 0x07) => "change_driven_transfer_modify",
        (0x2, 0x08) => "rdrec",
        (0x3, 0x01) => "list_blocks",
        (0x3, 0x02) => "list_blocks_of_type",
        (0x3, 0x03) => "get_block_info",
        (0x4, 0x01) => "read_szl",
        (0x4, 0x02) => "message_service",
        (0x4, 0x03) => "diagnostic_message",
        (0x4, 0x05) => "alarm_8_indication",
        (0x4, 0x06) => "notify_indication",
        (0x4, 0x07) => "alarm_8_lock",
        (0x4, 0x08) => "alarm_8_unlock",
        (0x4, 0x09) => "scan_indication",
        (0x4, 0x0b) => "alarm_ack",
        (0x4, 0x0c) => "alarm_ack_indication",
        (0x4, 0x0d) => "alarm_lock_indication",
        (0x4, 0x0e) => "alarm_unlock_indication",
        (0x4, 0x11) => "alarm_sq_indication",
        (0x4, 0x12) => "alarm_s_indication",
        (0x4, 0x13) => "alarm_query",
        (0x4, 0x16) => "notify_8_indication",
        (0x5, 0x01) => "plc_password",
        (0x5, 0x02) => "clean_session_setup",
        (0x7, 0x01) => "read_clock",
        (0x7, 0x02) => "set_clock",
        (0x7, 0x03) => "read_clock_following",
        (0x7, 0x04) => "set_clock_2",
        _ => return None,
    })
}

/// Name the operating mode a mode-transition push announces (its subfunction).
pub fn mode_transition_name(mode: u8) -> Option<&'static str> {
    Some(match mode {
        0x00 => "stop",
        0x01 => "warm_restart",
        0x02 => "run",
        0x03 => "hot_restart",
        0x04 => "hold",
        0x06 => "cold_restart",
        0x09 => "run_redundant",
        0x0b => "link_up",
        0x0c => "update",
        _ => return None,
    })
}

/// A user data parameter's type: the high nibble of the type/group octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserdataType(pub u8);

impl UserdataType {
    /// A push (unsolicited, usually from the PLC: cyclic data, alarms).
    pub const PUSH: UserdataType = UserdataType(0x0);
    /// A request.
    pub const REQUEST: UserdataType = UserdataType(0x4);
    /// A response.
    pub const RESPONSE: UserdataType = UserdataType(0x8);

    /// Name the type.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x0 => "push",
            0x4 => "request",
            0x8 => "response",
            _ => "unknown",
        }
    }
}

/// What a PI service (PLC control) does, by its name (Siemens' program invocation services;
/// `_N_…` are SINUMERIK NC services).
pub fn pi_service_description(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"_INSE" | b"_INS2" => "activate_block",
        b"_DELE" => "delete_block",
        b"P_PROGRAM" => "program_start_stop",
        b"_MODU" => "copy_ram_to_rom",
        b"_GARB" => "compress_memory",
        b"_N_LOGIN_" => "login",
        b"_N_LOGOUT" => "logout",
        b"_N_CANCEL" => "cancel_nc_alarm",
        b"_N_DASAVE" => "copy_sram_to_flash",
        b"_N_F_DELE" | b"_N_F_DELR" => "delete_file",
        b"_N_F_OPEN" | b"_N_F_OPER" => "open_file",
        b"_N_F_CLOS" => "close_file",
        b"_N_F_COPY" => "copy_file",
        b"_N_F_RENA" => "rename_file",
        b"_N_F_XFER" => "select_file_for_upload",
        b"_N_SELECT" | b"_N_EXTERN" | b"_N_EXTMOD" => "select_program",
        b"_N_NEWPWD" => "new_password",
        _ => return None,
    })
}

/// Name an SZL partial list by its number (the low octet of the SZL-ID).
pub fn szl_name(id: u16) -> Option<&'static str> {
    Some(match id & 0xff {
        0x00 => "szl_ids",
        0x11 => "module_identification",
        0x12 => "cpu_characteristics",
        0x13 => "user_memory_areas",
        0x14 => "system_areas",
        0x15 => "block_types",
        0x19 => "module_led_status",
        0x1c => "component_identification",
        0x22 => "interrupt_status",
        0x24 => "modes",
        0x25 => "process_image_partitions",
        0x31 => "communication_capabilities",
        0x32 => "communication_status",
        0x37 => "ethernet_details",
        0x74 => "module_led_status",
        0x91 => "module_status",
        0x92 => "rack_status",
        0x94 => "rack_status",
        0x96 => "module_status_profinet",
        0xa0 => "diagnostic_buffer",
        0xb1..=0xb4 => "module_diagnostics",
        _ => return None,
    })
}

/// Name the mode in the low nibble of an SZL 0x0424 `bzu-id` (the requested, now current,
/// mode), as [`rampart_dissect::Attribute::PlcMode`] spells it.
pub fn szl_mode_name(mode: u8) -> Option<&'static str> {
    Some(match mode {
        0x1..=0x4 => "stop",
        0x5..=0x7 => "startup",
        0x8 => "run",
        0x9 => "run_redundant",
        0xa => "hold",
        0xd => "defect",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unknown_function_codes() {
        assert_eq!(Function(0x5a).to_string(), "0x5a (unknown)");
        assert_eq!(Function::PLC_STOP.to_string(), "plc_stop");
        assert!(Function::UPLOAD.is_block_transfer());
        assert!(!Function::PLC_CONTROL.is_block_transfer());
    }

    #[test]
    fn names_areas_groups_and_blocks() {
        assert_eq!(area_name(0x84), Some("DB"));
        assert_eq!(subfunction_name(4, 1), Some("read_szl"));
        assert_eq!(
            subfunction_name(0, 1),
            None,
            "mode transition names its mode"
        );
        assert_eq!(block_type_name(b"08"), Some("OB"));
        assert_eq!(szl_name(0x0f11), Some("module_identification"));
        assert_eq!(szl_mode_name(0x08), Some("run"));
        assert_eq!(pi_service_description(b"_DELE"), Some("delete_block"));
    }
}
