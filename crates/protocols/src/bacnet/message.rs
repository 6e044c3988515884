//! BACnet code points as open types, and the tables that name them (ASHRAE 135-2020).
//!
//! Every code is kept as its number; `name()` returns the standard's identifier in snake case
//! (`readProperty` → `read_property`, `analog-input` → `analog_input`) or `None`, which the
//! dissector prints as `0x5a (unknown)`.

use rampart_event::Activity;

/// A BVLC function (Annex J.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BvlcFunction(pub u8);

impl BvlcFunction {
    /// Read-Broadcast-Distribution-Table-Ack.
    pub const READ_BDT_ACK: BvlcFunction = BvlcFunction(0x03);
    /// Forwarded-NPDU.
    pub const FORWARDED_NPDU: BvlcFunction = BvlcFunction(0x04);
    /// Register-Foreign-Device.
    pub const REGISTER_FOREIGN_DEVICE: BvlcFunction = BvlcFunction(0x05);
    /// Read-Foreign-Device-Table-Ack.
    pub const READ_FDT_ACK: BvlcFunction = BvlcFunction(0x07);

    /// Name the function.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "bvlc_result",
            0x01 => "write_broadcast_distribution_table",
            0x02 => "read_broadcast_distribution_table",
            0x03 => "read_broadcast_distribution_table_ack",
            0x04 => "forwarded_npdu",
            0x05 => "register_foreign_device",
            0x06 => "read_foreign_device_table",
            0x07 => "read_foreign_device_table_ack",
            0x08 => "delete_foreign_device_table_entry",
            0x09 => "distribute_broadcast_to_network",
            0x0a => "original_unicast_npdu",
            0x0b => "original_broadcast_npdu",
            0x0c => "secure_bvll",
            _ => return None,
        })
    }

    /// Tell whether an NPDU follows the BVLC header (J.2.4, J.2.9–J.2.11).
    pub fn carries_npdu(self) -> bool {
        matches!(self.0, 0x04 | 0x09 | 0x0a | 0x0b)
    }
}

/// A BVLC-Result code (J.2.1.1).
pub fn bvlc_result_name(code: u16) -> Option<&'static str> {
    Some(match code {
        0x0000 => "successful_completion",
        0x0010 => "write_broadcast_distribution_table_nak",
        0x0020 => "read_broadcast_distribution_table_nak",
        0x0030 => "register_foreign_device_nak",
        0x0040 => "read_foreign_device_table_nak",
        0x0050 => "delete_foreign_device_table_entry_nak",
        0x0060 => "distribute_broadcast_to_network_nak",
        _ => return None,
    })
}

/// A network layer message type (6.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkMessage(pub u8);

impl NetworkMessage {
    /// I-Am-Router-To-Network: the sender is a router.
    pub const I_AM_ROUTER: NetworkMessage = NetworkMessage(0x01);

    /// Name the message type; types from 0x80 are vendor proprietary.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "who_is_router_to_network",
            0x01 => "i_am_router_to_network",
            0x02 => "i_could_be_router_to_network",
            0x03 => "reject_message_to_network",
            0x04 => "router_busy_to_network",
            0x05 => "router_available_to_network",
            0x06 => "initialize_routing_table",
            0x07 => "initialize_routing_table_ack",
            0x08 => "establish_connection_to_network",
            0x09 => "disconnect_connection_to_network",
            0x0a => "challenge_request",
            0x0b => "security_payload",
            0x0c => "security_response",
            0x0d => "request_key_update",
            0x0e => "update_key_set",
            0x0f => "update_distribution_key",
            0x10 => "request_master_key",
            0x11 => "set_master_key",
            0x12 => "what_is_network_number",
            0x13 => "network_number_is",
            0x80..=0xff => "proprietary",
            _ => return None,
        })
    }
}

/// Name an NPDU priority (6.2.2).
pub fn priority_name(priority: u8) -> &'static str {
    match priority & 3 {
        0 => "normal",
        1 => "urgent",
        2 => "critical_equipment",
        _ => "life_safety",
    }
}

/// Name a Reject-Message-To-Network reason (6.4.4).
pub fn network_reject_name(reason: u8) -> Option<&'static str> {
    Some(match reason {
        0 => "other",
        1 => "not_directly_connected",
        2 => "router_busy",
        3 => "unknown_network_message",
        4 => "message_too_long",
        5 => "security_error",
        6 => "addressing_error",
        _ => return None,
    })
}

/// An APDU type, the high nibble of the first APDU octet (20.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PduType(pub u8);

impl PduType {
    /// BACnet-Confirmed-Request-PDU.
    pub const CONFIRMED_REQUEST: PduType = PduType(0);
    /// BACnet-Unconfirmed-Request-PDU.
    pub const UNCONFIRMED_REQUEST: PduType = PduType(1);
    /// BACnet-SimpleACK-PDU.
    pub const SIMPLE_ACK: PduType = PduType(2);
    /// BACnet-ComplexACK-PDU.
    pub const COMPLEX_ACK: PduType = PduType(3);
    /// BACnet-SegmentACK-PDU.
    pub const SEGMENT_ACK: PduType = PduType(4);
    /// BACnet-Error-PDU.
    pub const ERROR: PduType = PduType(5);
    /// BACnet-Reject-PDU.
    pub const REJECT: PduType = PduType(6);

    /// Name the type.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "confirmed_request",
            1 => "unconfirmed_request",
            2 => "simple_ack",
            3 => "complex_ack",
            4 => "segment_ack",
            5 => "error",
            6 => "reject",
            7 => "abort",
            _ => return None,
        })
    }
}

/// A confirmed service choice (21, BACnetConfirmedServiceChoice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmedService(pub u8);

impl ConfirmedService {
    /// reinitializeDevice.
    pub const REINITIALIZE_DEVICE: ConfirmedService = ConfirmedService(20);

    /// Name the service.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "acknowledge_alarm",
            1 => "confirmed_cov_notification",
            2 => "confirmed_event_notification",
            3 => "get_alarm_summary",
            4 => "get_enrollment_summary",
            5 => "subscribe_cov",
            6 => "atomic_read_file",
            7 => "atomic_write_file",
            8 => "add_list_element",
            9 => "remove_list_element",
            10 => "create_object",
            11 => "delete_object",
            12 => "read_property",
            13 => "read_property_conditional",
            14 => "read_property_multiple",
            15 => "write_property",
            16 => "write_property_multiple",
            17 => "device_communication_control",
            18 => "confirmed_private_transfer",
            19 => "confirmed_text_message",
            20 => "reinitialize_device",
            21 => "vt_open",
            22 => "vt_close",
            23 => "vt_data",
            24 => "authenticate",
            25 => "request_key",
            26 => "read_range",
            27 => "life_safety_operation",
            28 => "subscribe_cov_property",
            29 => "get_event_information",
            30 => "subscribe_cov_property_multiple",
            31 => "confirmed_cov_notification_multiple",
            32 => "confirmed_audit_notification",
            33 => "audit_log_query",
            _ => return None,
        })
    }

    /// What the service does to a device, for the record's `action`. Reinitialisation is
    /// refined by its state (see [`reinitialize_activity`]).
    pub fn activity(self) -> Option<Activity> {
        Some(match self.0 {
            // An operator acknowledging an alarm at a front end, or a life-safety command
            // (silence, reset): commands to the process, not data transfers.
            0 | 27 => Activity::Command,
            // Alarm and event summaries are status reads, not process data.
            3 | 4 | 29 => Activity::Diagnostics,
            5 | 28 | 30 => Activity::Monitor,
            6 | 7 => Activity::FileTransfer,
            8 | 9 | 15 | 16 => Activity::Write,
            10 | 11 | 17 => Activity::ConfigChange,
            12 | 13 | 14 | 26 => Activity::Read,
            20 => Activity::Restart,
            21 | 22 => Activity::Session,
            24 | 25 => Activity::Authentication,
            _ => return None,
        })
    }
}

/// An unconfirmed service choice (21, BACnetUnconfirmedServiceChoice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnconfirmedService(pub u8);

impl UnconfirmedService {
    /// i-Am.
    pub const I_AM: UnconfirmedService = UnconfirmedService(0);
    /// who-Am-I.
    pub const WHO_AM_I: UnconfirmedService = UnconfirmedService(13);

    /// Name the service.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "i_am",
            1 => "i_have",
            2 => "unconfirmed_cov_notification",
            3 => "unconfirmed_event_notification",
            4 => "unconfirmed_private_transfer",
            5 => "unconfirmed_text_message",
            6 => "time_synchronization",
            7 => "who_has",
            8 => "who_is",
            9 => "utc_time_synchronization",
            10 => "write_group",
            11 => "unconfirmed_cov_notification_multiple",
            12 => "unconfirmed_audit_notification",
            13 => "who_am_i",
            14 => "you_are",
            _ => return None,
        })
    }

    /// What the service does to a device, for the record's `action`. I-Am and I-Have answer
    /// a discovery; they are the devices' own statements, not an act on a device.
    pub fn activity(self) -> Option<Activity> {
        Some(match self.0 {
            6 | 9 => Activity::TimeSync,
            7 | 8 => Activity::Identify,
            10 => Activity::Write,
            // You-Are assigns a device its instance number and MAC address.
            14 => Activity::ConfigChange,
            _ => return None,
        })
    }
}

/// What a ReinitializeDevice request does, by its reinitialized-state (16.4.1.1.1): cold and
/// warm starts and activate-changes restart the device; start and end of a backup bracket
/// reading its configuration out (a program upload, in the vocabulary across protocols),
/// those of a restore writing one in (a program download); abortrestore abandons a restore
/// and leaves the configuration as it was before, a configuration change all the same.
pub fn reinitialize_activity(state: Option<u64>) -> Activity {
    match state {
        Some(2 | 3) => Activity::ProgramUpload,
        Some(4 | 5) => Activity::ProgramDownload,
        Some(6) => Activity::ConfigChange,
        _ => Activity::Restart,
    }
}

/// Name a reinitialized-state of device (16.4.1.1.1).
pub fn reinitialized_state_name(state: u64) -> Option<&'static str> {
    Some(match state {
        0 => "coldstart",
        1 => "warmstart",
        2 => "startbackup",
        3 => "endbackup",
        4 => "startrestore",
        5 => "endrestore",
        6 => "abortrestore",
        7 => "activate_changes",
        _ => return None,
    })
}

/// Name a DeviceCommunicationControl enable-disable value (16.1.1.1.2).
pub fn enable_disable_name(value: u64) -> Option<&'static str> {
    Some(match value {
        0 => "enable",
        1 => "disable",
        2 => "disable_initiation",
        _ => return None,
    })
}

/// Name a BACnetSegmentation value (21).
pub fn segmentation_name(value: u64) -> Option<&'static str> {
    Some(match value {
        0 => "segmented_both",
        1 => "segmented_transmit",
        2 => "segmented_receive",
        3 => "no_segmentation",
        _ => return None,
    })
}

/// The maximum APDU length a max-APDU-length-accepted code stands for (20.1.2.5).
pub fn max_apdu_octets(code: u8) -> Option<u64> {
    Some(match code {
        0 => 50,
        1 => 128,
        2 => 206,
        3 => 480,
        4 => 1024,
        5 => 1476,
        _ => return None,
    })
}

/// The number of segments a max-segments-accepted code stands for (20.1.2.4), `None` for
/// unspecified (0) and more than 64 (7).
pub fn max_segments(code: u8) -> Option<u64> {
    match code {
        1..=6 => Some(1 << code),
        _ => None,
    }
}

/// Name an error class (18, BACnetErrorClass).
pub fn error_class_name(class: u64) -> Option<&'static str> {
    Some(match class {
        0 => "device",
        1 => "object",
        2 => "property",
        3 => "resources",
        4 => "security",
        5 => "services",
        6 => "vt",
        7 => "communication",
        _ => return None,
    })
}

/// Name an error code (18, BACnetErrorCode).
pub fn error_code_name(code: u64) -> Option<&'static str> {
    Some(match code {
        0 => "other",
        1 => "authentication_failed",
        2 => "configuration_in_progress",
        3 => "device_busy",
        4 => "dynamic_creation_not_supported",
        5 => "file_access_denied",
        6 => "incompatible_security_levels",
        7 => "inconsistent_parameters",
        8 => "inconsistent_selection_criterion",
        9 => "invalid_datatype",
        10 => "invalid_file_access_method",
        11 => "invalid_file_start_position",
        12 => "invalid_operator_name",
        13 => "invalid_parameter_data_type",
        14 => "invalid_timestamp",
        15 => "key_generation_error",
        16 => "missing_required_parameter",
        17 => "no_objects_of_specified_type",
        18 => "no_space_for_object",
        19 => "no_space_to_add_list_element",
        20 => "no_space_to_write_property",
        21 => "no_vt_sessions_available",
        22 => "property_is_not_a_list",
        23 => "object_deletion_not_permitted",
        24 => "object_identifier_already_exists",
        25 => "operational_problem",
        26 => "password_failure",
        27 => "read_access_denied",
        28 => "security_not_supported",
        29 => "service_request_denied",
        30 => "timeout",
        31 => "unknown_object",
        32 => "unknown_property",
        34 => "unknown_vt_class",
        35 => "unknown_vt_session",
        36 => "unsupported_object_type",
        37 => "value_out_of_range",
        38 => "vt_session_already_closed",
        39 => "vt_session_termination_failure",
        40 => "write_access_denied",
        41 => "character_set_not_supported",
        42 => "invalid_array_index",
        43 => "cov_subscription_failed",
        44 => "not_cov_property",
        45 => "optional_functionality_not_supported",
        46 => "invalid_configuration_data",
        47 => "datatype_not_supported",
        48 => "duplicate_name",
        49 => "duplicate_object_id",
        50 => "property_is_not_an_array",
        51 => "abort_buffer_overflow",
        52 => "abort_invalid_apdu_in_this_state",
        53 => "abort_preempted_by_higher_priority_task",
        54 => "abort_segmentation_not_supported",
        55 => "abort_proprietary",
        56 => "abort_other",
        57 => "invalid_tag",
        58 => "network_down",
        59 => "reject_buffer_overflow",
        60 => "reject_inconsistent_parameters",
        61 => "reject_invalid_parameter_data_type",
        62 => "reject_invalid_tag",
        63 => "reject_missing_required_parameter",
        64 => "reject_parameter_out_of_range",
        65 => "reject_too_many_arguments",
        66 => "reject_undefined_enumeration",
        67 => "reject_unrecognized_service",
        68 => "reject_proprietary",
        69 => "reject_other",
        70 => "unknown_device",
        71 => "unknown_route",
        72 => "value_not_initialized",
        73 => "invalid_event_state",
        74 => "no_alarm_configured",
        75 => "log_buffer_full",
        76 => "logged_value_purged",
        77 => "no_property_specified",
        78 => "not_configured_for_triggered_logging",
        79 => "unknown_subscription",
        80 => "parameter_out_of_range",
        81 => "list_element_not_found",
        82 => "busy",
        83 => "communication_disabled",
        84 => "success",
        85 => "access_denied",
        86 => "bad_destination_address",
        87 => "bad_destination_device_id",
        88 => "bad_signature",
        89 => "bad_source_address",
        90 => "bad_timestamp",
        91 => "cannot_use_key",
        92 => "cannot_verify_message_id",
        93 => "correct_key_revision",
        94 => "destination_device_id_required",
        95 => "duplicate_message",
        96 => "encryption_not_configured",
        97 => "encryption_required",
        98 => "incorrect_key",
        99 => "invalid_key_data",
        100 => "key_update_in_progress",
        101 => "malformed_message",
        102 => "not_key_server",
        103 => "security_not_configured",
        104 => "source_security_required",
        105 => "too_many_keys",
        106 => "unknown_authentication_type",
        107 => "unknown_key",
        108 => "unknown_key_revision",
        109 => "unknown_source_message",
        110 => "not_router_to_dnet",
        111 => "router_busy",
        112 => "unknown_network_message",
        113 => "message_too_long",
        114 => "security_error",
        115 => "addressing_error",
        116 => "write_bdt_failed",
        117 => "read_bdt_failed",
        118 => "register_foreign_device_failed",
        119 => "read_fdt_failed",
        120 => "delete_fdt_entry_failed",
        121 => "distribute_broadcast_failed",
        122 => "unknown_file_size",
        123 => "abort_apdu_too_long",
        124 => "abort_application_exceeded_reply_time",
        125 => "abort_out_of_resources",
        126 => "abort_tsm_timeout",
        127 => "abort_window_size_out_of_range",
        128 => "file_full",
        129 => "inconsistent_configuration",
        130 => "inconsistent_object_type",
        131 => "internal_error",
        132 => "not_configured",
        133 => "out_of_memory",
        134 => "value_too_long",
        135 => "abort_insufficient_security",
        136 => "abort_security_error",
        137 => "duplicate_entry",
        138 => "invalid_value_in_this_state",
        _ => return None,
    })
}

/// Name a reject reason (18.9, BACnetRejectReason).
pub fn reject_reason_name(reason: u8) -> Option<&'static str> {
    Some(match reason {
        0 => "other",
        1 => "buffer_overflow",
        2 => "inconsistent_parameters",
        3 => "invalid_parameter_data_type",
        4 => "invalid_tag",
        5 => "missing_required_parameter",
        6 => "parameter_out_of_range",
        7 => "too_many_arguments",
        8 => "undefined_enumeration",
        9 => "unrecognized_service",
        10 => "invalid_data_encoding",
        64..=255 => "proprietary",
        _ => return None,
    })
}

/// Name an abort reason (18.8, BACnetAbortReason).
pub fn abort_reason_name(reason: u8) -> Option<&'static str> {
    Some(match reason {
        0 => "other",
        1 => "buffer_overflow",
        2 => "invalid_apdu_in_this_state",
        3 => "preempted_by_higher_priority_task",
        4 => "segmentation_not_supported",
        5 => "security_error",
        6 => "insufficient_security",
        7 => "window_size_out_of_range",
        8 => "application_exceeded_reply_time",
        9 => "out_of_resources",
        10 => "tsm_timeout",
        11 => "apdu_too_long",
        64..=255 => "proprietary",
        _ => return None,
    })
}

/// A BACnetObjectIdentifier: a 10-bit object type and a 22-bit instance (20.2.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectId {
    /// The object type.
    pub object_type: u16,
    /// The instance number; 4194303 is the wildcard "any device".
    pub instance: u32,
}

impl ObjectId {
    /// The device object type.
    pub const DEVICE: u16 = 8;

    /// Split the encoded four octets.
    pub fn from_u32(raw: u32) -> ObjectId {
        ObjectId {
            object_type: (raw >> 22) as u16,
            instance: raw & 0x003f_ffff,
        }
    }

    /// Tell whether this is a device object.
    pub fn is_device(self) -> bool {
        self.object_type == ObjectId::DEVICE
    }
}

/// Name an object type (21, BACnetObjectType); types from 128 are proprietary.
pub fn object_type_name(object_type: u16) -> Option<&'static str> {
    Some(match object_type {
        0 => "analog_input",
        1 => "analog_output",
        2 => "analog_value",
        3 => "binary_input",
        4 => "binary_output",
        5 => "binary_value",
        6 => "calendar",
        7 => "command",
        8 => "device",
        9 => "event_enrollment",
        10 => "file",
        11 => "group",
        12 => "loop",
        13 => "multi_state_input",
        14 => "multi_state_output",
        15 => "notification_class",
        16 => "program",
        17 => "schedule",
        18 => "averaging",
        19 => "multi_state_value",
        20 => "trend_log",
        21 => "life_safety_point",
        22 => "life_safety_zone",
        23 => "accumulator",
        24 => "pulse_converter",
        25 => "event_log",
        26 => "global_group",
        27 => "trend_log_multiple",
        28 => "load_control",
        29 => "structured_view",
        30 => "access_door",
        31 => "timer",
        32 => "access_credential",
        33 => "access_point",
        34 => "access_rights",
        35 => "access_user",
        36 => "access_zone",
        37 => "credential_data_input",
        38 => "network_security",
        39 => "bitstring_value",
        40 => "characterstring_value",
        41 => "date_pattern_value",
        42 => "date_value",
        43 => "datetime_pattern_value",
        44 => "datetime_value",
        45 => "integer_value",
        46 => "large_analog_value",
        47 => "octetstring_value",
        48 => "positive_integer_value",
        49 => "time_pattern_value",
        50 => "time_value",
        51 => "notification_forwarder",
        52 => "alert_enrollment",
        53 => "channel",
        54 => "lighting_output",
        55 => "binary_lighting_output",
        56 => "network_port",
        57 => "elevator_group",
        58 => "escalator",
        59 => "lift",
        60 => "staging",
        61 => "audit_log",
        62 => "audit_reporter",
        63 => "color",
        64 => "color_temperature",
        128..=1023 => "proprietary",
        _ => return None,
    })
}

/// A property identifier (21, BACnetPropertyIdentifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyId(pub u32);

impl PropertyId {
    /// application-software-version.
    pub const APPLICATION_SOFTWARE_VERSION: PropertyId = PropertyId(12);
    /// description.
    pub const DESCRIPTION: PropertyId = PropertyId(28);
    /// firmware-revision.
    pub const FIRMWARE_REVISION: PropertyId = PropertyId(44);
    /// location.
    pub const LOCATION: PropertyId = PropertyId(58);
    /// model-name.
    pub const MODEL_NAME: PropertyId = PropertyId(70);
    /// object-name.
    pub const OBJECT_NAME: PropertyId = PropertyId(77);
    /// vendor-name.
    pub const VENDOR_NAME: PropertyId = PropertyId(121);
    /// serial-number.
    pub const SERIAL_NUMBER: PropertyId = PropertyId(372);

    /// The application tag the property's value must start with, for properties whose
    /// datatype is fixed by the standard (12.x, 21); `None` for the rest.
    pub fn expected_tag(self) -> Option<u8> {
        use super::tag::app;
        Some(match self.0 {
            // CharacterString: the names and texts of every object.
            12 | 28 | 44 | 58 | 70 | 77 | 121 | 168 | 372 => app::CHARACTER_STRING,
            // BACnetObjectIdentifier: object-identifier, object-list, structured-object-list.
            75 | 76 | 209 => app::OBJECT_ID,
            // Enumerated: event-state, object-type, reliability, segmentation-supported,
            // system-status, units.
            36 | 79 | 103 | 107 | 112 | 117 => app::ENUMERATED,
            // Unsigned: apdu-timeout, max-apdu-length-accepted, number-of-apdu-retries,
            // protocol-version, vendor-identifier, protocol-revision, database-revision.
            11 | 62 | 73 | 98 | 120 | 139 | 155 => app::UNSIGNED,
            // BIT STRING: status-flags; a recipient-list is a list of BACnetDestination, whose
            // first element is the valid-days BACnetDaysOfWeek.
            111 | 102 => app::BIT_STRING,
            // BOOLEAN: out-of-service.
            81 => app::BOOLEAN,
            56 => app::DATE,
            57 => app::TIME,
            // INTEGER: utc-offset.
            119 => app::SIGNED,
            _ => return None,
        })
    }

    /// Name the property.
    pub fn name(self) -> Option<&'static str> {
        property_name(self.0)
    }
}

/// Name a property identifier; identifiers from 512 are proprietary.
fn property_name(id: u32) -> Option<&'static str> {
    Some(match id {
        0 => "acked_transitions",
        1 => "ack_required",
        2 => "action",
        3 => "action_text",
        4 => "active_text",
        5 => "active_vt_sessions",
        6 => "alarm_value",
        7 => "alarm_values",
        8 => "all",
        9 => "all_writes_successful",
        10 => "apdu_segment_timeout",
        11 => "apdu_timeout",
        12 => "application_software_version",
        13 => "archive",
        14 => "bias",
        15 => "change_of_state_count",
        16 => "change_of_state_time",
        17 => "notification_class",
        19 => "controlled_variable_reference",
        20 => "controlled_variable_units",
        21 => "controlled_variable_value",
        22 => "cov_increment",
        23 => "date_list",
        24 => "daylight_savings_status",
        25 => "deadband",
        26 => "derivative_constant",
        27 => "derivative_constant_units",
        28 => "description",
        29 => "description_of_halt",
        30 => "device_address_binding",
        31 => "device_type",
        32 => "effective_period",
        33 => "elapsed_active_time",
        34 => "error_limit",
        35 => "event_enable",
        36 => "event_state",
        37 => "event_type",
        38 => "exception_schedule",
        39 => "fault_values",
        40 => "feedback_value",
        41 => "file_access_method",
        42 => "file_size",
        43 => "file_type",
        44 => "firmware_revision",
        45 => "high_limit",
        46 => "inactive_text",
        47 => "in_process",
        48 => "instance_of",
        49 => "integral_constant",
        50 => "integral_constant_units",
        51 => "issue_confirmed_notifications",
        52 => "limit_enable",
        53 => "list_of_group_members",
        54 => "list_of_object_property_references",
        55 => "list_of_session_keys",
        56 => "local_date",
        57 => "local_time",
        58 => "location",
        59 => "low_limit",
        60 => "manipulated_variable_reference",
        61 => "maximum_output",
        62 => "max_apdu_length_accepted",
        63 => "max_info_frames",
        64 => "max_master",
        65 => "max_pres_value",
        66 => "minimum_off_time",
        67 => "minimum_on_time",
        68 => "minimum_output",
        69 => "min_pres_value",
        70 => "model_name",
        71 => "modification_date",
        72 => "notify_type",
        73 => "number_of_apdu_retries",
        74 => "number_of_states",
        75 => "object_identifier",
        76 => "object_list",
        77 => "object_name",
        78 => "object_property_reference",
        79 => "object_type",
        80 => "optional",
        81 => "out_of_service",
        82 => "output_units",
        83 => "event_parameters",
        84 => "polarity",
        85 => "present_value",
        86 => "priority",
        87 => "priority_array",
        88 => "priority_for_writing",
        89 => "process_identifier",
        90 => "program_change",
        91 => "program_location",
        92 => "program_state",
        93 => "proportional_constant",
        94 => "proportional_constant_units",
        95 => "protocol_conformance_class",
        96 => "protocol_object_types_supported",
        97 => "protocol_services_supported",
        98 => "protocol_version",
        99 => "read_only",
        100 => "reason_for_halt",
        101 => "recipient",
        102 => "recipient_list",
        103 => "reliability",
        104 => "relinquish_default",
        105 => "required",
        106 => "resolution",
        107 => "segmentation_supported",
        108 => "setpoint",
        109 => "setpoint_reference",
        110 => "state_text",
        111 => "status_flags",
        112 => "system_status",
        113 => "time_delay",
        114 => "time_of_active_time_reset",
        115 => "time_of_state_count_reset",
        116 => "time_synchronization_recipients",
        117 => "units",
        118 => "update_interval",
        119 => "utc_offset",
        120 => "vendor_identifier",
        121 => "vendor_name",
        122 => "vt_classes_supported",
        123 => "weekly_schedule",
        124 => "attempted_samples",
        125 => "average_value",
        126 => "buffer_size",
        127 => "client_cov_increment",
        128 => "cov_resubscription_interval",
        129 => "current_notify_time",
        130 => "event_time_stamps",
        131 => "log_buffer",
        132 => "log_device_object_property",
        133 => "enable",
        134 => "log_interval",
        135 => "maximum_value",
        136 => "minimum_value",
        137 => "notification_threshold",
        138 => "previous_notify_time",
        139 => "protocol_revision",
        140 => "records_since_notification",
        141 => "record_count",
        142 => "start_time",
        143 => "stop_time",
        144 => "stop_when_full",
        145 => "total_record_count",
        146 => "valid_samples",
        147 => "window_interval",
        148 => "window_samples",
        149 => "maximum_value_timestamp",
        150 => "minimum_value_timestamp",
        151 => "variance_value",
        152 => "active_cov_subscriptions",
        153 => "backup_failure_timeout",
        154 => "configuration_files",
        155 => "database_revision",
        156 => "direct_reading",
        157 => "last_restore_time",
        158 => "maintenance_required",
        159 => "member_of",
        160 => "mode",
        161 => "operation_expected",
        162 => "setting",
        163 => "silenced",
        164 => "tracking_value",
        165 => "zone_members",
        166 => "life_safety_alarm_values",
        167 => "max_segments_accepted",
        168 => "profile_name",
        169 => "auto_slave_discovery",
        170 => "manual_slave_address_binding",
        171 => "slave_address_binding",
        172 => "slave_proxy_enable",
        173 => "last_notify_record",
        174 => "schedule_default",
        175 => "accepted_modes",
        176 => "adjust_value",
        177 => "count",
        178 => "count_before_change",
        179 => "count_change_time",
        180 => "cov_period",
        181 => "input_reference",
        182 => "limit_monitoring_interval",
        183 => "logging_object",
        184 => "logging_record",
        185 => "prescale",
        186 => "pulse_rate",
        187 => "scale",
        188 => "scale_factor",
        189 => "update_time",
        190 => "value_before_change",
        191 => "value_set",
        192 => "value_change_time",
        193 => "align_intervals",
        195 => "interval_offset",
        196 => "last_restart_reason",
        197 => "logging_type",
        202 => "restart_notification_recipients",
        203 => "time_of_device_restart",
        204 => "time_synchronization_interval",
        205 => "trigger",
        206 => "utc_time_synchronization_recipients",
        207 => "node_subtype",
        208 => "node_type",
        209 => "structured_object_list",
        210 => "subordinate_annotations",
        211 => "subordinate_list",
        212 => "actual_shed_level",
        213 => "duty_window",
        214 => "expected_shed_level",
        215 => "full_duty_baseline",
        218 => "requested_shed_level",
        219 => "shed_duration",
        220 => "shed_level_descriptions",
        221 => "shed_levels",
        222 => "state_description",
        226 => "door_alarm_state",
        227 => "door_extended_pulse_time",
        228 => "door_members",
        229 => "door_open_too_long_time",
        230 => "door_pulse_time",
        231 => "door_status",
        232 => "door_unlock_delay_time",
        233 => "lock_status",
        234 => "masked_alarm_values",
        235 => "secured_status",
        244 => "absentee_limit",
        245 => "access_alarm_events",
        246 => "access_doors",
        247 => "access_event",
        248 => "access_event_authentication_factor",
        249 => "access_event_credential",
        250 => "access_event_time",
        251 => "access_transaction_events",
        252 => "accompaniment",
        253 => "accompaniment_time",
        254 => "activation_time",
        255 => "active_authentication_policy",
        256 => "assigned_access_rights",
        257 => "authentication_factors",
        258 => "authentication_policy_list",
        259 => "authentication_policy_names",
        260 => "authentication_status",
        261 => "authorization_mode",
        262 => "belongs_to",
        263 => "credential_disable",
        264 => "credential_status",
        265 => "credentials",
        266 => "credentials_in_zone",
        267 => "days_remaining",
        268 => "entry_points",
        269 => "exit_points",
        270 => "expiration_time",
        271 => "extended_time_enable",
        272 => "failed_attempt_events",
        273 => "failed_attempts",
        274 => "failed_attempts_time",
        275 => "last_access_event",
        276 => "last_access_point",
        277 => "last_credential_added",
        278 => "last_credential_added_time",
        279 => "last_credential_removed",
        280 => "last_credential_removed_time",
        281 => "last_use_time",
        282 => "lockout",
        283 => "lockout_relinquish_time",
        285 => "max_failed_attempts",
        286 => "members",
        287 => "muster_point",
        288 => "negative_access_rules",
        289 => "number_of_authentication_policies",
        290 => "occupancy_count",
        291 => "occupancy_count_adjust",
        292 => "occupancy_count_enable",
        294 => "occupancy_lower_limit",
        295 => "occupancy_lower_limit_enforced",
        296 => "occupancy_state",
        297 => "occupancy_upper_limit",
        298 => "occupancy_upper_limit_enforced",
        300 => "passback_mode",
        301 => "passback_timeout",
        302 => "positive_access_rules",
        303 => "reason_for_disable",
        304 => "supported_formats",
        305 => "supported_format_classes",
        306 => "threat_authority",
        307 => "threat_level",
        308 => "trace_flag",
        309 => "transaction_notification_class",
        310 => "user_external_identifier",
        311 => "user_information_reference",
        317 => "user_name",
        318 => "user_type",
        319 => "uses_remaining",
        320 => "zone_from",
        321 => "zone_to",
        322 => "access_event_tag",
        323 => "global_identifier",
        326 => "verification_time",
        328 => "distribution_key_revision",
        329 => "do_not_hide",
        330 => "key_sets",
        331 => "last_key_server",
        332 => "network_access_security_policies",
        333 => "packet_reorder_time",
        334 => "security_pdu_timeout",
        335 => "security_time_window",
        336 => "supported_security_algorithms",
        337 => "update_key_set_timeout",
        338 => "backup_and_restore_state",
        339 => "backup_preparation_time",
        340 => "restore_completion_time",
        341 => "restore_preparation_time",
        342 => "bit_mask",
        343 => "bit_text",
        344 => "is_utc",
        345 => "group_members",
        346 => "group_member_names",
        347 => "member_status_flags",
        348 => "requested_update_interval",
        349 => "covu_period",
        350 => "covu_recipients",
        351 => "event_message_texts",
        352 => "event_message_texts_config",
        353 => "event_detection_enable",
        354 => "event_algorithm_inhibit",
        355 => "event_algorithm_inhibit_ref",
        356 => "time_delay_normal",
        357 => "reliability_evaluation_inhibit",
        358 => "fault_parameters",
        359 => "fault_type",
        360 => "local_forwarding_only",
        361 => "process_identifier_filter",
        362 => "subscribed_recipients",
        363 => "port_filter",
        364 => "authorization_exemptions",
        365 => "allow_group_delay_inhibit",
        366 => "channel_number",
        367 => "control_groups",
        368 => "execution_delay",
        369 => "last_priority",
        370 => "write_status",
        371 => "property_list",
        372 => "serial_number",
        373 => "blink_warn_enable",
        374 => "default_fade_time",
        375 => "default_ramp_rate",
        376 => "default_step_increment",
        377 => "egress_time",
        378 => "in_progress",
        379 => "instantaneous_power",
        380 => "lighting_command",
        381 => "lighting_command_default_priority",
        382 => "max_actual_value",
        383 => "min_actual_value",
        384 => "power",
        385 => "transition",
        386 => "egress_active",
        387 => "interface_value",
        388 => "fault_high_limit",
        389 => "fault_low_limit",
        390 => "low_diff_limit",
        391 => "strike_count",
        392 => "time_of_strike_count_reset",
        393 => "default_timeout",
        394 => "initial_timeout",
        395 => "last_state_change",
        396 => "state_change_values",
        397 => "timer_running",
        398 => "timer_state",
        399 => "apdu_length",
        400 => "ip_address",
        401 => "ip_default_gateway",
        402 => "ip_dhcp_enable",
        403 => "ip_dhcp_lease_time",
        404 => "ip_dhcp_lease_time_remaining",
        405 => "ip_dhcp_server",
        406 => "ip_dns_server",
        407 => "bacnet_ip_global_address",
        408 => "bacnet_ip_mode",
        409 => "bacnet_ip_multicast_address",
        410 => "bacnet_ip_nat_traversal",
        411 => "ip_subnet_mask",
        412 => "bacnet_ip_udp_port",
        413 => "bbmd_accept_fd_registrations",
        414 => "bbmd_broadcast_distribution_table",
        415 => "bbmd_foreign_device_table",
        416 => "changes_pending",
        417 => "command",
        418 => "fd_bbmd_address",
        419 => "fd_subscription_lifetime",
        420 => "link_speed",
        421 => "link_speeds",
        422 => "link_speed_autonegotiate",
        423 => "mac_address",
        424 => "network_interface_name",
        425 => "network_number",
        426 => "network_number_quality",
        427 => "network_type",
        428 => "routing_table",
        429 => "virtual_mac_address_table",
        430 => "command_time_array",
        431 => "current_command_priority",
        432 => "last_command_time",
        433 => "value_source",
        434 => "value_source_array",
        435 => "bacnet_ipv6_mode",
        436 => "ipv6_address",
        437 => "ipv6_prefix_length",
        438 => "bacnet_ipv6_udp_port",
        439 => "ipv6_default_gateway",
        440 => "bacnet_ipv6_multicast_address",
        441 => "ipv6_dns_server",
        442 => "ipv6_auto_addressing_enable",
        443 => "ipv6_dhcp_lease_time",
        444 => "ipv6_dhcp_lease_time_remaining",
        445 => "ipv6_dhcp_server",
        446 => "ipv6_zone_index",
        447 => "assigned_landing_calls",
        448 => "car_assigned_direction",
        449 => "car_door_command",
        450 => "car_door_status",
        451 => "car_door_text",
        452 => "car_door_zone",
        453 => "car_drive_status",
        454 => "car_load",
        455 => "car_load_units",
        456 => "car_mode",
        457 => "car_moving_direction",
        458 => "car_position",
        459 => "elevator_group",
        460 => "energy_meter",
        461 => "energy_meter_ref",
        462 => "escalator_mode",
        463 => "fault_signals",
        464 => "floor_text",
        465 => "group_id",
        467 => "group_mode",
        468 => "higher_deck",
        469 => "installation_id",
        470 => "landing_calls",
        471 => "landing_call_control",
        472 => "landing_door_status",
        473 => "lower_deck",
        474 => "machine_room_id",
        475 => "making_car_call",
        476 => "next_stopping_floor",
        477 => "operation_direction",
        478 => "passenger_alarm",
        479 => "power_mode",
        480 => "registered_car_call",
        481 => "active_cov_multiple_subscriptions",
        482 => "protocol_level",
        483 => "reference_port",
        484 => "deployed_profile_location",
        485 => "profile_location",
        486 => "tags",
        487 => "subordinate_node_types",
        488 => "subordinate_tags",
        489 => "subordinate_relationships",
        490 => "default_subordinate_relationship",
        491 => "represents",
        512.. => "proprietary",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_and_keeps_unknown_ones() {
        assert_eq!(BvlcFunction(0x0a).name(), Some("original_unicast_npdu"));
        assert_eq!(BvlcFunction(0x0d).name(), None);
        assert_eq!(ConfirmedService(12).name(), Some("read_property"));
        assert_eq!(ConfirmedService(99).name(), None);
        assert_eq!(UnconfirmedService(8).name(), Some("who_is"));
        assert_eq!(object_type_name(8), Some("device"));
        assert_eq!(object_type_name(200), Some("proprietary"));
        assert_eq!(object_type_name(100), None);
        assert_eq!(PropertyId(77).name(), Some("object_name"));
        assert_eq!(PropertyId(18).name(), None);
        assert_eq!(PropertyId(600).name(), Some("proprietary"));
        assert_eq!(error_code_name(26), Some("password_failure"));
        assert_eq!(reject_reason_name(9), Some("unrecognized_service"));
    }

    #[test]
    fn splits_object_identifiers() {
        let id = ObjectId::from_u32(0x0200_0065); // device, 101
        assert_eq!((id.object_type, id.instance), (8, 101));
        assert!(id.is_device());
        let any = ObjectId::from_u32(0x023f_ffff);
        assert_eq!(any.instance, 4_194_303);
    }

    #[test]
    fn refines_reinitialisation_by_state() {
        assert_eq!(reinitialize_activity(Some(0)), Activity::Restart);
        assert_eq!(reinitialize_activity(Some(2)), Activity::ProgramUpload);
        assert_eq!(reinitialize_activity(Some(4)), Activity::ProgramDownload);
        assert_eq!(reinitialize_activity(None), Activity::Restart);
        assert_eq!(max_apdu_octets(5), Some(1476));
        assert_eq!(max_segments(7), None);
        assert_eq!(max_segments(3), Some(8));
    }
}
