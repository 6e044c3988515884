//! EtherNet/IP and CIP code tables as open enums: every code is kept as a number and only
//! gains a name when the specification (or Rockwell's public Logix and DF1 manuals) assigns
//! one. Unknown codes are printed `0x5a (unknown)`.
//!
//! Sources: *The CIP Networks Library*, Volume 1 (CIP), Edition 3 — Appendix A (services),
//! Appendix B (general status), Appendix C (data segments and paths), §5A (object classes),
//! Table 6-7.1 (device profiles); Volume 2 (EtherNet/IP adaptation), §2-3 (encapsulation
//! commands and status), §2-6 (common packet format); Rockwell Automation *Logix 5000
//! Controllers Data Access* (1756-PM020), chapter "CIP services" (tag services); Rockwell
//! *DF1 Protocol and Command Set* (1770-6.5.16), chapter 7 (PCCC commands).

pub(crate) use crate::label::{Label, named};

/// An encapsulation command (Vol. 2 Table 2-3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command(pub u16);

impl Command {
    /// NOP: no reply.
    pub const NOP: Command = Command(0x0000);
    /// ListServices.
    pub const LIST_SERVICES: Command = Command(0x0004);
    /// ListIdentity.
    pub const LIST_IDENTITY: Command = Command(0x0063);
    /// ListInterfaces.
    pub const LIST_INTERFACES: Command = Command(0x0064);
    /// RegisterSession.
    pub const REGISTER_SESSION: Command = Command(0x0065);
    /// UnRegisterSession: no reply.
    pub const UNREGISTER_SESSION: Command = Command(0x0066);
    /// SendRRData: an unconnected (UCMM) request or its reply.
    pub const SEND_RR_DATA: Command = Command(0x006f);
    /// SendUnitData: connected (class 3) data, no encapsulation reply.
    pub const SEND_UNIT_DATA: Command = Command(0x0070);

    /// Name the command in snake case, or `None` when the specification assigns none.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0000 => "nop",
            0x0004 => "list_services",
            0x0063 => "list_identity",
            0x0064 => "list_interfaces",
            0x0065 => "register_session",
            0x0066 => "unregister_session",
            0x006f => "send_rr_data",
            0x0070 => "send_unit_data",
            0x0072 => "indicate_status",
            0x0073 => "cancel",
            0x00c8 => "start_dtls",
            _ => return None,
        })
    }

    /// Tell whether the command carries CIP in a common packet format.
    pub fn carries_cip(self) -> bool {
        matches!(self, Command::SEND_RR_DATA | Command::SEND_UNIT_DATA)
    }

    /// Tell whether the target never replies to it (Vol. 2 §2-4.1, §2-4.6).
    pub fn unanswered(self) -> bool {
        matches!(
            self,
            Command::NOP | Command::UNREGISTER_SESSION | Command::SEND_UNIT_DATA
        )
    }
}

/// How well a length matches a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The command with this length is distinctive.
    Strong,
    /// Possible, but common in other protocols too.
    Weak,
}

/// Tell whether `length` bytes of data fit `command` (Vol. 2 §2-4).
pub fn length_fits(command: Command, length: u16) -> Option<Fit> {
    match command {
        Command::NOP => Some(Fit::Weak),
        // Requests carry nothing; replies an item count at least.
        Command::LIST_IDENTITY | Command::LIST_SERVICES | Command::LIST_INTERFACES => {
            (length != 1).then_some(Fit::Strong)
        }
        Command::REGISTER_SESSION => (length == 4).then_some(Fit::Strong),
        Command::UNREGISTER_SESSION => (length == 0).then_some(Fit::Strong),
        // Interface handle, timeout, item count and two item headers at least.
        Command::SEND_RR_DATA | Command::SEND_UNIT_DATA => (length >= 16).then_some(Fit::Strong),
        c if c.name().is_some() => Some(Fit::Weak),
        _ => (length == 0).then_some(Fit::Weak),
    }
}

/// Name an encapsulation status (Vol. 2 Table 2-3.3).
pub fn encap_status_name(status: u32) -> Option<&'static str> {
    Some(match status {
        0x0000 => "success",
        0x0001 => "invalid_command",
        0x0002 => "insufficient_memory",
        0x0003 => "incorrect_data",
        0x0064 => "invalid_session_handle",
        0x0065 => "invalid_length",
        0x0069 => "unsupported_protocol_version",
        0x006a => "cip_not_allowed_on_port",
        _ => return None,
    })
}

/// Common packet format item type ids (Vol. 2 Table 2-6.3).
pub mod item {
    /// Null address (unconnected messages).
    pub const NULL_ADDRESS: u16 = 0x0000;
    /// CIP identity (ListIdentity reply).
    pub const CIP_IDENTITY: u16 = 0x000c;
    /// CIP security information (ListIdentity reply).
    pub const CIP_SECURITY: u16 = 0x0086;
    /// Connected address: a connection id.
    pub const CONNECTED_ADDRESS: u16 = 0x00a1;
    /// Connected data: a CIP sequence count, then the message (transport class 3).
    pub const CONNECTED_DATA: u16 = 0x00b1;
    /// Unconnected data: a CIP message.
    pub const UNCONNECTED_DATA: u16 = 0x00b2;
    /// ListServices reply item.
    pub const LIST_SERVICES: u16 = 0x0100;
    /// Socket address info, originator to target.
    pub const SOCKADDR_OT: u16 = 0x8000;
    /// Socket address info, target to originator.
    pub const SOCKADDR_TO: u16 = 0x8001;
    /// Sequenced address: connection id and sequence number (class 0/1 I/O).
    pub const SEQUENCED_ADDRESS: u16 = 0x8002;
}

/// Name a common packet format item type.
pub fn item_name(type_id: u16) -> Option<&'static str> {
    Some(match type_id {
        item::NULL_ADDRESS => "null_address",
        item::CIP_IDENTITY => "cip_identity",
        item::CIP_SECURITY => "cip_security",
        0x0087 => "enip_capability",
        0x0088 => "enip_usage",
        item::CONNECTED_ADDRESS => "connected_address",
        item::CONNECTED_DATA => "connected_data",
        item::UNCONNECTED_DATA => "unconnected_data",
        item::LIST_SERVICES => "list_services",
        item::SOCKADDR_OT => "sockaddr_ot",
        item::SOCKADDR_TO => "sockaddr_to",
        item::SEQUENCED_ADDRESS => "sequenced_address",
        0x8003 => "unconnected_message_udp",
        _ => return None,
    })
}

/// CIP object classes this dissector treats specially (Vol. 1 Table 5-1.1).
pub mod class {
    /// Identity.
    pub const IDENTITY: u32 = 0x01;
    /// Connection Manager.
    pub const CONNECTION_MANAGER: u32 = 0x06;
    /// PCCC object (Rockwell): Execute PCCC.
    pub const PCCC: u32 = 0x67;
    /// TCP/IP Interface.
    pub const TCP_IP: u32 = 0xf5;
    /// Ethernet Link.
    pub const ETHERNET_LINK: u32 = 0xf6;
}

/// Name a CIP object class (Vol. 1 Table 5-1.1 and the Rockwell objects of 1756-PM020).
pub fn class_name(class: u32) -> Option<&'static str> {
    Some(match class {
        0x01 => "identity",
        0x02 => "message_router",
        0x03 => "devicenet",
        0x04 => "assembly",
        0x05 => "connection",
        0x06 => "connection_manager",
        0x07 => "register",
        0x08 => "discrete_input_point",
        0x09 => "discrete_output_point",
        0x0a => "analog_input_point",
        0x0b => "analog_output_point",
        0x0e => "presence_sensing",
        0x0f => "parameter",
        0x10 => "parameter_group",
        0x12 => "group",
        0x1d => "discrete_input_group",
        0x1e => "discrete_output_group",
        0x1f => "discrete_group",
        0x20 => "analog_input_group",
        0x21 => "analog_output_group",
        0x22 => "analog_group",
        0x23 => "position_sensor",
        0x24 => "position_controller_supervisor",
        0x25 => "position_controller",
        0x26 => "block_sequencer",
        0x27 => "command_block",
        0x28 => "motor_data",
        0x29 => "control_supervisor",
        0x2a => "ac_dc_drive",
        0x2b => "acknowledge_handler",
        0x2c => "overload",
        0x2d => "softstart",
        0x2e => "selection",
        0x30 => "s_device_supervisor",
        0x37 => "file",
        0x39 => "safety_supervisor",
        0x3a => "safety_validator",
        0x41 => "event_log",
        0x42 => "motion_device_axis",
        0x43 => "time_sync",
        0x44 => "modbus",
        0x45 => "originator_connection_list",
        0x46 => "modbus_serial_link",
        0x47 => "device_level_ring",
        0x48 => "qos",
        0x4d => "target_connection_list",
        0x4e => "base_energy",
        0x4f => "electrical_energy",
        0x50 => "non_electrical_energy",
        0x51 => "base_switch",
        0x52 => "snmp",
        0x53 => "power_management",
        0x54 => "rstp_bridge",
        0x55 => "rstp_port",
        0x56 => "prp_hsr_protocol",
        0x57 => "prp_hsr_nodes_table",
        0x5d => "cip_security",
        0x5e => "enip_security",
        0x5f => "certificate_management",
        0x60 => "authority",
        0x61 => "password_authenticator",
        0x62 => "certificate_authenticator",
        0x67 => "pccc",
        0x6b => "symbol",
        0x6c => "template",
        0xf0 => "controlnet",
        0xf1 => "controlnet_keeper",
        0xf2 => "controlnet_scheduling",
        0xf3 => "connection_configuration",
        0xf4 => "port",
        0xf5 => "tcp_ip_interface",
        0xf6 => "ethernet_link",
        0xf7 => "componet",
        0xf8 => "componet_repeater",
        0xf9 => "hart_master_port",
        _ => return None,
    })
}

/// What a request addresses, as far as naming its service goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A logical class (the class id).
    Class(u32),
    /// A symbolic tag of a Logix controller (1756-PM020).
    Tag,
    /// Nothing recognisable.
    Unknown,
}

/// CIP service codes (Vol. 1 Appendix A, Vol. 1 §3-5.5 for the Connection Manager, 1756-PM020
/// for the Logix tag services, Rockwell's PCCC object for Execute PCCC).
pub mod service {
    /// Get_Attributes_All.
    pub const GET_ATTRIBUTES_ALL: u8 = 0x01;
    /// Set_Attributes_All.
    pub const SET_ATTRIBUTES_ALL: u8 = 0x02;
    /// Get_Attribute_List.
    pub const GET_ATTRIBUTE_LIST: u8 = 0x03;
    /// Set_Attribute_List.
    pub const SET_ATTRIBUTE_LIST: u8 = 0x04;
    /// Reset.
    pub const RESET: u8 = 0x05;
    /// Start.
    pub const START: u8 = 0x06;
    /// Stop.
    pub const STOP: u8 = 0x07;
    /// Create.
    pub const CREATE: u8 = 0x08;
    /// Delete.
    pub const DELETE: u8 = 0x09;
    /// Multiple_Service_Packet.
    pub const MULTIPLE_SERVICE_PACKET: u8 = 0x0a;
    /// Apply_Attributes.
    pub const APPLY_ATTRIBUTES: u8 = 0x0d;
    /// Get_Attribute_Single.
    pub const GET_ATTRIBUTE_SINGLE: u8 = 0x0e;
    /// Set_Attribute_Single.
    pub const SET_ATTRIBUTE_SINGLE: u8 = 0x10;
    /// Find_Next_Object_Instance.
    pub const FIND_NEXT: u8 = 0x11;
    /// Restore.
    pub const RESTORE: u8 = 0x15;
    /// Save.
    pub const SAVE: u8 = 0x16;
    /// Get_Member.
    pub const GET_MEMBER: u8 = 0x18;
    /// Set_Member.
    pub const SET_MEMBER: u8 = 0x19;
    /// Execute PCCC (PCCC object).
    pub const EXECUTE_PCCC: u8 = 0x4b;
    /// Read Tag (Logix).
    pub const READ_TAG: u8 = 0x4c;
    /// Write Tag (Logix).
    pub const WRITE_TAG: u8 = 0x4d;
    /// Forward Close (Connection Manager), Read Modify Write Tag (Logix).
    pub const FORWARD_CLOSE: u8 = 0x4e;
    /// Unconnected Send (Connection Manager), Read Tag Fragmented (Logix).
    pub const UNCONNECTED_SEND: u8 = 0x52;
    /// Write Tag Fragmented (Logix).
    pub const WRITE_TAG_FRAGMENTED: u8 = 0x53;
    /// Forward Open (Connection Manager).
    pub const FORWARD_OPEN: u8 = 0x54;
    /// Get Instance Attribute List (Logix symbol object).
    pub const GET_INSTANCE_ATTRIBUTE_LIST: u8 = 0x55;
    /// Large Forward Open (Connection Manager).
    pub const LARGE_FORWARD_OPEN: u8 = 0x5b;
}

/// Name a service (without the response bit) in the context of what it addresses: codes from
/// 0x4b up are class specific.
pub fn service_name(code: u8, target: Target) -> Option<&'static str> {
    use service::*;
    let common = match code {
        GET_ATTRIBUTES_ALL => Some("get_attributes_all"),
        SET_ATTRIBUTES_ALL => Some("set_attributes_all"),
        GET_ATTRIBUTE_LIST => Some("get_attribute_list"),
        SET_ATTRIBUTE_LIST => Some("set_attribute_list"),
        RESET => Some("reset"),
        START => Some("start"),
        STOP => Some("stop"),
        CREATE => Some("create"),
        DELETE => Some("delete"),
        MULTIPLE_SERVICE_PACKET => Some("multiple_service_packet"),
        APPLY_ATTRIBUTES => Some("apply_attributes"),
        GET_ATTRIBUTE_SINGLE => Some("get_attribute_single"),
        SET_ATTRIBUTE_SINGLE => Some("set_attribute_single"),
        FIND_NEXT => Some("find_next_object_instance"),
        0x14 => Some("error_response"),
        RESTORE => Some("restore"),
        SAVE => Some("save"),
        0x17 => Some("nop"),
        GET_MEMBER => Some("get_member"),
        SET_MEMBER => Some("set_member"),
        0x1a => Some("insert_member"),
        0x1b => Some("remove_member"),
        0x1c => Some("group_sync"),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    match (target, code) {
        (Target::Class(class::CONNECTION_MANAGER), FORWARD_CLOSE) => Some("forward_close"),
        (Target::Class(class::CONNECTION_MANAGER), UNCONNECTED_SEND) => Some("unconnected_send"),
        (Target::Class(class::CONNECTION_MANAGER), FORWARD_OPEN) => Some("forward_open"),
        (Target::Class(class::CONNECTION_MANAGER), 0x56) => Some("get_connection_data"),
        (Target::Class(class::CONNECTION_MANAGER), 0x57) => Some("search_connection_data"),
        (Target::Class(class::CONNECTION_MANAGER), 0x5a) => Some("get_connection_owner"),
        (Target::Class(class::CONNECTION_MANAGER), LARGE_FORWARD_OPEN) => {
            Some("large_forward_open")
        }
        (Target::Class(class::PCCC), EXECUTE_PCCC) => Some("execute_pccc"),
        (Target::Tag | Target::Class(0x6b), READ_TAG) => Some("read_tag"),
        (Target::Tag | Target::Class(0x6b), WRITE_TAG) => Some("write_tag"),
        (Target::Tag | Target::Class(0x6b), FORWARD_CLOSE) => Some("read_modify_write_tag"),
        (Target::Tag | Target::Class(0x6b), UNCONNECTED_SEND) => Some("read_tag_fragmented"),
        (Target::Tag | Target::Class(0x6b), WRITE_TAG_FRAGMENTED) => Some("write_tag_fragmented"),
        (Target::Class(0x6b), GET_INSTANCE_ATTRIBUTE_LIST) => Some("get_instance_attribute_list"),
        (Target::Class(0x6c), READ_TAG) => Some("read_template"),
        _ => None,
    }
}

/// Name a CIP general status (Vol. 1 Appendix B-1).
pub fn general_status_name(status: u8) -> Option<&'static str> {
    Some(match status {
        0x00 => "success",
        0x01 => "connection_failure",
        0x02 => "resource_unavailable",
        0x03 => "invalid_parameter_value",
        0x04 => "path_segment_error",
        0x05 => "path_destination_unknown",
        0x06 => "partial_transfer",
        0x07 => "connection_lost",
        0x08 => "service_not_supported",
        0x09 => "invalid_attribute_value",
        0x0a => "attribute_list_error",
        0x0b => "already_in_requested_mode",
        0x0c => "object_state_conflict",
        0x0d => "object_already_exists",
        0x0e => "attribute_not_settable",
        0x0f => "privilege_violation",
        0x10 => "device_state_conflict",
        0x11 => "reply_data_too_large",
        0x12 => "fragmentation_of_primitive_value",
        0x13 => "not_enough_data",
        0x14 => "attribute_not_supported",
        0x15 => "too_much_data",
        0x16 => "object_does_not_exist",
        0x17 => "service_fragmentation_sequence_not_in_progress",
        0x18 => "no_stored_attribute_data",
        0x19 => "store_operation_failure",
        0x1a => "routing_failure_request_too_large",
        0x1b => "routing_failure_response_too_large",
        0x1c => "missing_attribute_list_entry",
        0x1d => "invalid_attribute_value_list",
        0x1e => "embedded_service_error",
        0x1f => "vendor_specific_error",
        0x20 => "invalid_parameter",
        0x21 => "write_once_value_already_written",
        0x22 => "invalid_reply_received",
        0x23 => "buffer_overflow",
        0x24 => "invalid_message_format",
        0x25 => "key_failure_in_path",
        0x26 => "path_size_invalid",
        0x27 => "unexpected_attribute_in_list",
        0x28 => "invalid_member_id",
        0x29 => "member_not_settable",
        0x2a => "group_2_only_server_general_failure",
        0x2b => "unknown_modbus_error",
        0x2c => "attribute_not_gettable",
        _ => return None,
    })
}

/// Name the extended status of a Connection Manager failure (general status 0x01; Vol. 1
/// Table 3-5.33), the codes an Unconnected Send or Forward Open most often fails with.
pub fn connection_failure_name(extended: u16) -> Option<&'static str> {
    Some(match extended {
        0x0100 => "connection_in_use",
        0x0103 => "transport_class_and_trigger_not_supported",
        0x0106 => "ownership_conflict",
        0x0107 => "target_connection_not_found",
        0x0108 => "invalid_network_connection_parameter",
        0x0109 => "invalid_connection_size",
        0x0110 => "target_not_configured",
        0x0111 => "rpi_not_supported",
        0x0112 => "rpi_not_acceptable",
        0x0113 => "out_of_connections",
        0x0114 => "vendor_or_product_code_mismatch",
        0x0115 => "device_type_mismatch",
        0x0116 => "revision_mismatch",
        0x0117 => "invalid_produced_or_consumed_path",
        0x0118 => "invalid_configuration_path",
        0x0119 => "non_listen_only_connection_not_opened",
        0x011a => "target_out_of_connections",
        0x0203 => "connection_timed_out",
        0x0204 => "unconnected_request_timed_out",
        0x0205 => "parameter_error_in_unconnected_request",
        0x0206 => "message_too_large_for_unconnected_send",
        0x0207 => "unconnected_ack_without_reply",
        0x0301 => "no_buffer_memory",
        0x0302 => "network_bandwidth_not_available",
        0x0303 => "no_consumed_connection_id_filter",
        0x0311 => "port_not_available",
        0x0312 => "link_address_not_valid",
        0x0315 => "invalid_segment_in_connection_path",
        0x0316 => "forward_close_path_mismatch",
        0x0318 => "link_address_to_self_invalid",
        _ => return None,
    })
}

/// Name a device profile (Vol. 1 Table 6-7.1), as the specification spells it.
pub fn device_type_name(device_type: u16) -> Option<&'static str> {
    Some(match device_type {
        0x00 => "Generic Device (deprecated)",
        0x02 => "AC Drive",
        0x03 => "Motor Overload",
        0x04 => "Limit Switch",
        0x05 => "Inductive Proximity Switch",
        0x06 => "Photoelectric Sensor",
        0x07 => "General Purpose Discrete I/O",
        0x09 => "Resolver",
        0x0c => "Communications Adapter",
        0x0e => "Programmable Logic Controller",
        0x10 => "Position Controller",
        0x13 => "DC Drive",
        0x15 => "Contactor",
        0x16 => "Motor Starter",
        0x17 => "Soft Start",
        0x18 => "Human-Machine Interface",
        0x1a => "Mass Flow Controller",
        0x1b => "Pneumatic Valve",
        0x1c => "Vacuum Pressure Gauge",
        0x1d => "Process Control Value",
        0x1e => "Residual Gas Analyzer",
        0x1f => "DC Power Generator",
        0x20 => "RF Power Generator",
        0x21 => "Turbomolecular Vacuum Pump",
        0x22 => "Encoder",
        0x23 => "Safety Discrete I/O Device",
        0x24 => "Fluid Flow Controller",
        0x25 => "CIP Motion Drive",
        0x26 => "CompoNet Repeater",
        0x27 => "Mass Flow Controller, Enhanced",
        0x28 => "CIP Modbus Device",
        0x29 => "CIP Modbus Translator",
        0x2a => "Safety Analog I/O Device",
        0x2b => "Generic Device (keyable)",
        0x2c => "Managed Ethernet Switch",
        0x2d => "CIP Motion Safety Drive Device",
        0x2e => "Safety Drive Device",
        0x2f => "CIP Motion Encoder",
        0x30 => "CIP Motion Converter",
        0x31 => "CIP Motion I/O",
        0x32 => "ControlNet Physical Layer Component",
        0x33 => "Circuit Breaker",
        0x34 => "HART Device",
        0x35 => "CIP-HART Translator",
        0xc8 => "Embedded Component",
        _ => return None,
    })
}

/// The inventory's lowercase device-type hint for a device profile, and the kind of module it
/// is in a chassis.
pub fn device_type_hint(device_type: u16) -> Option<(&'static str, &'static str)> {
    Some(match device_type {
        0x02 | 0x13 | 0x25 | 0x2d | 0x2e => ("drive", "drive"),
        0x07 | 0x23 | 0x2a | 0x31 => ("io device", "io"),
        0x0c => ("communication adapter", "communication"),
        0x0e => ("plc", "cpu"),
        0x10 => ("motion controller", "motion"),
        0x18 => ("hmi", "hmi"),
        0x2c => ("switch", "communication"),
        0x28 | 0x29 | 0x35 => ("gateway", "communication"),
        0x03 | 0x15 | 0x16 | 0x17 => ("motor controller", "motor"),
        0x04 | 0x05 | 0x06 | 0x09 | 0x22 | 0x2f => ("sensor", "sensor"),
        _ => return None,
    })
}

/// PCCC command and function codes (1770-6.5.16 chapter 7), with what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pccc {
    /// CMD byte (without the reply bit 0x40).
    pub command: u8,
    /// FNC byte, for the commands that have one (0x06, 0x07, 0x0f).
    pub function: Option<u8>,
}

/// What a PCCC command does to a controller, for the record's activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcccAction {
    /// Reads data tables or status.
    Read,
    /// Writes data tables.
    Write,
    /// Asks the processor who it is (diagnostic status returns its type and series).
    Identify,
    /// Changes the processor's mode (run, program, test).
    ModeChange,
    /// Starts or completes a program download.
    ProgramDownload,
    /// Starts or completes a program upload.
    ProgramUpload,
}

impl Pccc {
    /// Name the command (and function), or `None` when the manual assigns none.
    pub fn name(self) -> Option<&'static str> {
        self.describe().map(|(name, _)| name)
    }

    /// Return what the command does.
    pub fn action(self) -> Option<PcccAction> {
        self.describe().and_then(|(_, action)| action)
    }

    fn describe(self) -> Option<(&'static str, Option<PcccAction>)> {
        use PcccAction::*;
        Some(match (self.command, self.function) {
            (0x01, _) => ("unprotected_read", Some(Read)),
            (0x02, _) => ("protected_write", Some(Write)),
            (0x05, _) => ("protected_bit_write", Some(Write)),
            (0x08, _) => ("unprotected_write", Some(Write)),
            (0x06, Some(0x00)) => ("echo", None),
            (0x06, Some(0x03)) => ("diagnostic_status", Some(Identify)),
            (0x06, Some(0x07)) => ("diagnostic_counters_reset", None),
            (0x0f, Some(0x00)) => ("word_range_write", Some(Write)),
            (0x0f, Some(0x01)) => ("word_range_read", Some(Read)),
            (0x0f, Some(0x02)) => ("bit_write", Some(Write)),
            (0x0f, Some(0x11)) => ("get_edit_resource", None),
            (0x0f, Some(0x12)) => ("return_edit_resource", None),
            (0x0f, Some(0x26)) => ("read_modify_write", Some(Write)),
            (0x0f, Some(0x3a)) => ("set_cpu_mode", Some(ModeChange)),
            (0x0f, Some(0x50)) => ("download_all_request", Some(ProgramDownload)),
            (0x0f, Some(0x52)) => ("download_completed", Some(ProgramDownload)),
            (0x0f, Some(0x53)) => ("upload_all_request", Some(ProgramUpload)),
            (0x0f, Some(0x55)) => ("upload_completed", Some(ProgramUpload)),
            (0x0f, Some(0x67)) => ("typed_write", Some(Write)),
            (0x0f, Some(0x68)) => ("typed_read", Some(Read)),
            (0x0f, Some(0x80)) => ("change_mode", Some(ModeChange)),
            (0x0f, Some(0xa1)) => ("protected_typed_logical_read_2_address", Some(Read)),
            (0x0f, Some(0xa2)) => ("protected_typed_logical_read_3_address", Some(Read)),
            (0x0f, Some(0xa9)) => ("protected_typed_logical_write_2_address", Some(Write)),
            (0x0f, Some(0xaa)) => ("protected_typed_logical_write_3_address", Some(Write)),
            (0x0f, Some(0xab)) => ("protected_typed_logical_masked_write", Some(Write)),
            _ => return None,
        })
    }
}

/// Tell whether a PCCC command is followed by a function code byte (1770-6.5.16 §7-2).
pub fn pccc_has_function(command: u8) -> bool {
    matches!(command, 0x06 | 0x07 | 0x0f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_and_labels_unknown_ones() {
        assert_eq!(Command(0x63).name(), Some("list_identity"));
        assert_eq!(Command(0x01).name(), None);
        assert_eq!(named(None, 0x5a).as_str(), "0x5a (unknown)");
        assert_eq!(named(Some("stop"), 7).as_str(), "stop");
        assert_eq!(class_name(0xf5), Some("tcp_ip_interface"));
        assert_eq!(
            device_type_name(0x0e),
            Some("Programmable Logic Controller")
        );
        assert_eq!(device_type_hint(0x0e), Some(("plc", "cpu")));
        assert_eq!(general_status_name(0x05), Some("path_destination_unknown"));
        assert_eq!(
            connection_failure_name(0x0204),
            Some("unconnected_request_timed_out")
        );
    }

    #[test]
    fn names_class_specific_services_by_what_they_address() {
        let cm = Target::Class(class::CONNECTION_MANAGER);
        assert_eq!(service_name(0x4e, cm), Some("forward_close"));
        assert_eq!(
            service_name(0x4e, Target::Tag),
            Some("read_modify_write_tag")
        );
        assert_eq!(service_name(0x52, cm), Some("unconnected_send"));
        assert_eq!(service_name(0x52, Target::Tag), Some("read_tag_fragmented"));
        assert_eq!(service_name(0x4c, Target::Class(0x8e)), None);
        assert_eq!(service_name(0x07, Target::Class(0x8e)), Some("stop"));
    }

    #[test]
    fn classifies_pccc_commands() {
        let mode = Pccc {
            command: 0x0f,
            function: Some(0x80),
        };
        assert_eq!(mode.name(), Some("change_mode"));
        assert_eq!(mode.action(), Some(PcccAction::ModeChange));
        assert!(pccc_has_function(0x0f));
        assert!(!pccc_has_function(0x01));
    }
}
