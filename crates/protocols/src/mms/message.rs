//! The ISO session, presentation, ACSE and MMS units as typed values, and the code tables
//! they use (ISO 8327-1, ISO 8823-1, ISO 8650-1, ISO 9506-2 in the ASN.1 module `ISO-9506-
//! MMS-1`; names in snake case).

use crate::ber::Tlv;

/// A session SPDU identifier (ISO 8327-1 §8.3, table 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spdu(pub u8);

impl Spdu {
    /// DATA TRANSFER (or GIVE TOKENS, when first of a concatenation).
    pub const DATA: Spdu = Spdu(1);
    /// FINISH.
    pub const FINISH: Spdu = Spdu(9);
    /// DISCONNECT.
    pub const DISCONNECT: Spdu = Spdu(10);
    /// REFUSE.
    pub const REFUSE: Spdu = Spdu(12);
    /// CONNECT.
    pub const CONNECT: Spdu = Spdu(13);
    /// ACCEPT.
    pub const ACCEPT: Spdu = Spdu(14);
    /// ABORT.
    pub const ABORT: Spdu = Spdu(25);

    /// Name the SPDU.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "data",
            2 => "please_tokens",
            5 => "expedited",
            8 => "not_finished",
            9 => "finish",
            10 => "disconnect",
            12 => "refuse",
            13 => "connect",
            14 => "accept",
            25 => "abort",
            26 => "abort_accept",
            33 => "typed_data",
            _ => "unknown",
        }
    }
}

/// An ACSE APDU (ISO 8650-1 §9): the application tag of AARQ … ABRT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Apdu(pub u32);

impl Apdu {
    /// A-ASSOCIATE request.
    pub const AARQ: Apdu = Apdu(0);
    /// A-ASSOCIATE response.
    pub const AARE: Apdu = Apdu(1);
    /// A-RELEASE request.
    pub const RLRQ: Apdu = Apdu(2);
    /// A-RELEASE response.
    pub const RLRE: Apdu = Apdu(3);
    /// A-ABORT.
    pub const ABRT: Apdu = Apdu(4);

    /// Name the APDU.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "aarq",
            1 => "aare",
            2 => "rlrq",
            3 => "rlre",
            4 => "abrt",
            _ => "unknown",
        }
    }
}

/// Name an A-ASSOCIATE result (ISO 8650-1: `Associate-result`).
pub fn acse_result_name(result: i64) -> &'static str {
    match result {
        0 => "accepted",
        1 => "rejected_permanent",
        2 => "rejected_transient",
        _ => "unknown",
    }
}

/// The MMS PDU types: the context tags of the `MMSpdu` CHOICE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PduType(pub u32);

impl PduType {
    /// Confirmed-RequestPDU.
    pub const CONFIRMED_REQUEST: PduType = PduType(0);
    /// Confirmed-ResponsePDU.
    pub const CONFIRMED_RESPONSE: PduType = PduType(1);
    /// Confirmed-ErrorPDU.
    pub const CONFIRMED_ERROR: PduType = PduType(2);
    /// Unconfirmed-PDU.
    pub const UNCONFIRMED: PduType = PduType(3);
    /// RejectPDU.
    pub const REJECT: PduType = PduType(4);
    /// Initiate-RequestPDU.
    pub const INITIATE_REQUEST: PduType = PduType(8);
    /// Initiate-ResponsePDU.
    pub const INITIATE_RESPONSE: PduType = PduType(9);
    /// Initiate-ErrorPDU.
    pub const INITIATE_ERROR: PduType = PduType(10);
    /// Conclude-RequestPDU.
    pub const CONCLUDE_REQUEST: PduType = PduType(11);
    /// Conclude-ErrorPDU.
    pub const CONCLUDE_ERROR: PduType = PduType(13);

    /// Name the PDU type.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "confirmed_request",
            1 => "confirmed_response",
            2 => "confirmed_error",
            3 => "unconfirmed",
            4 => "reject",
            5 => "cancel_request",
            6 => "cancel_response",
            7 => "cancel_error",
            8 => "initiate_request",
            9 => "initiate_response",
            10 => "initiate_error",
            11 => "conclude_request",
            12 => "conclude_response",
            13 => "conclude_error",
            _ => return None,
        })
    }
}

/// The confirmed services, indexed by their tag in `ConfirmedServiceRequest` (which is also
/// their bit in `ServiceSupportOptions`), then the services that bit string adds.
const SERVICES: [&str; 85] = [
    "status",
    "get_name_list",
    "identify",
    "rename",
    "read",
    "write",
    "get_variable_access_attributes",
    "define_named_variable",
    "define_scattered_access",
    "get_scattered_access_attributes",
    "delete_variable_access",
    "define_named_variable_list",
    "get_named_variable_list_attributes",
    "delete_named_variable_list",
    "define_named_type",
    "get_named_type_attributes",
    "delete_named_type",
    "input",
    "output",
    "take_control",
    "relinquish_control",
    "define_semaphore",
    "delete_semaphore",
    "report_semaphore_status",
    "report_pool_semaphore_status",
    "report_semaphore_entry_status",
    "initiate_download_sequence",
    "download_segment",
    "terminate_download_sequence",
    "initiate_upload_sequence",
    "upload_segment",
    "terminate_upload_sequence",
    "request_domain_download",
    "request_domain_upload",
    "load_domain_content",
    "store_domain_content",
    "delete_domain",
    "get_domain_attributes",
    "create_program_invocation",
    "delete_program_invocation",
    "start",
    "stop",
    "resume",
    "reset",
    "kill",
    "get_program_invocation_attributes",
    "obtain_file",
    "define_event_condition",
    "delete_event_condition",
    "get_event_condition_attributes",
    "report_event_condition_status",
    "alter_event_condition_monitoring",
    "trigger_event",
    "define_event_action",
    "delete_event_action",
    "get_event_action_attributes",
    "report_event_action_status",
    "define_event_enrollment",
    "delete_event_enrollment",
    "alter_event_enrollment",
    "report_event_enrollment_status",
    "get_event_enrollment_attributes",
    "acknowledge_event_notification",
    "get_alarm_summary",
    "get_alarm_enrollment_summary",
    "read_journal",
    "write_journal",
    "initialize_journal",
    "report_journal_status",
    "create_journal",
    "delete_journal",
    "get_capability_list",
    "file_open",
    "file_read",
    "file_close",
    "file_rename",
    "file_delete",
    "file_directory",
    "unsolicited_status",
    "information_report",
    "event_notification",
    "attach_to_event_condition",
    "attach_to_semaphore",
    "conclude",
    "cancel",
];

/// The number of confirmed services (tags 0 to 77).
const CONFIRMED_SERVICES: usize = 78;

/// A confirmed service, by its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service(pub u32);

impl Service {
    /// Name the service, or `None` for an unassigned tag.
    pub fn name(self) -> Option<&'static str> {
        let i = usize::try_from(self.0).ok()?;
        (i < CONFIRMED_SERVICES).then(|| SERVICES[i])
    }
}

/// Name the service a bit of `ServiceSupportOptions` stands for.
pub fn supported_service_name(bit: usize) -> Option<&'static str> {
    SERVICES.get(bit).copied()
}

/// Name an unconfirmed service (`UnconfirmedService` CHOICE).
pub fn unconfirmed_name(tag: u32) -> Option<&'static str> {
    Some(match tag {
        0 => "information_report",
        1 => "unsolicited_status",
        2 => "event_notification",
        _ => return None,
    })
}

/// Name an error class (`ServiceError.errorClass` CHOICE).
pub fn error_class_name(tag: u32) -> Option<&'static str> {
    Some(match tag {
        0 => "vmd_state",
        1 => "application_reference",
        2 => "definition",
        3 => "resource",
        4 => "service",
        5 => "service_preempt",
        6 => "time_resolution",
        7 => "access",
        8 => "initiate",
        9 => "conclude",
        10 => "cancel",
        11 => "file",
        12 => "others",
        _ => return None,
    })
}

/// Name a `DataAccessError` of a read or write result.
pub fn data_access_error_name(code: i64) -> &'static str {
    match code {
        0 => "object_invalidated",
        1 => "hardware_fault",
        2 => "temporarily_unavailable",
        3 => "object_access_denied",
        4 => "object_undefined",
        5 => "invalid_address",
        6 => "type_unsupported",
        7 => "type_inconsistent",
        8 => "object_attribute_inconsistent",
        9 => "object_access_unsupported",
        10 => "object_non_existent",
        11 => "object_value_invalid",
        _ => "unknown",
    }
}

/// Name the PDU a reject is about (`RejectPDU.rejectReason` CHOICE).
pub fn reject_type_name(tag: u32) -> Option<&'static str> {
    Some(match tag {
        1 => "confirmed_request",
        2 => "confirmed_response",
        3 => "confirmed_error",
        4 => "unconfirmed",
        5 => "pdu_error",
        6 => "cancel_request",
        7 => "cancel_response",
        8 => "cancel_error",
        9 => "conclude_request",
        10 => "conclude_response",
        11 => "conclude_error",
        _ => return None,
    })
}

/// Name a basic object class of GetNameList (`ObjectClass.basicObjectClass`).
pub fn object_class_name(class: i64) -> &'static str {
    match class {
        0 => "named_variable",
        1 => "scattered_access",
        2 => "named_variable_list",
        3 => "named_type",
        4 => "semaphore",
        5 => "event_condition",
        6 => "event_action",
        7 => "event_enrollment",
        8 => "journal",
        9 => "domain",
        10 => "program_invocation",
        11 => "operator_station",
        _ => "unknown",
    }
}

/// The initiate parameters (`Initiate-RequestPDU`, `Initiate-ResponsePDU`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Initiate<'a> {
    /// localDetailCalling / localDetailCalled: the largest PDU, octets.
    pub local_detail: Option<u64>,
    /// Outstanding requests the calling side may have.
    pub max_serv_outstanding_calling: Option<u64>,
    /// Outstanding requests the called side may have.
    pub max_serv_outstanding_called: Option<u64>,
    /// Data structure nesting level.
    pub nesting_level: Option<u64>,
    /// MMS version.
    pub version: Option<u64>,
    /// Parameter conformance building blocks (BIT STRING octets).
    pub parameter_cbb: Option<&'a [u8]>,
    /// Services supported (BIT STRING octets), by `ServiceSupportOptions` bit.
    pub services: Option<&'a [u8]>,
}

/// An error of a confirmed service, initiate or conclude (`ServiceError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceError {
    /// The class, as the tag of its CHOICE.
    pub class: u32,
    /// The code within the class.
    pub code: i64,
}

/// One MMS PDU, with the service body left for the service parsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MmsPdu<'a> {
    /// A confirmed request.
    ConfirmedRequest {
        /// Invoke id.
        invoke_id: u64,
        /// The service request element.
        service: Tlv<'a>,
    },
    /// A confirmed response.
    ConfirmedResponse {
        /// Invoke id.
        invoke_id: u64,
        /// The service response element.
        service: Tlv<'a>,
    },
    /// A confirmed error.
    ConfirmedError {
        /// Invoke id.
        invoke_id: u64,
        /// The error.
        error: Option<ServiceError>,
    },
    /// An unconfirmed service.
    Unconfirmed {
        /// The service element.
        service: Tlv<'a>,
    },
    /// A reject.
    Reject {
        /// The invoke id of the PDU rejected, when known.
        invoke_id: Option<u64>,
        /// Which kind of PDU, and the reason code.
        reason: Option<(u32, i64)>,
    },
    /// A cancel request, response or error.
    Cancel {
        /// 5 request, 6 response, 7 error.
        pdu: PduType,
        /// The invoke id cancelled.
        invoke_id: Option<u64>,
    },
    /// An initiate request or response.
    Initiate {
        /// 8 request, 9 response.
        pdu: PduType,
        /// Its parameters.
        parameters: Initiate<'a>,
    },
    /// A conclude request or response, or an initiate or conclude error.
    Control {
        /// 10 initiate error, 11 conclude request, 12 conclude response, 13 conclude error.
        pdu: PduType,
        /// The error of an error PDU.
        error: Option<ServiceError>,
    },
}

impl MmsPdu<'_> {
    /// Return the PDU type.
    pub fn pdu_type(&self) -> PduType {
        match self {
            MmsPdu::ConfirmedRequest { .. } => PduType::CONFIRMED_REQUEST,
            MmsPdu::ConfirmedResponse { .. } => PduType::CONFIRMED_RESPONSE,
            MmsPdu::ConfirmedError { .. } => PduType::CONFIRMED_ERROR,
            MmsPdu::Unconfirmed { .. } => PduType::UNCONFIRMED,
            MmsPdu::Reject { .. } => PduType::REJECT,
            MmsPdu::Cancel { pdu, .. }
            | MmsPdu::Initiate { pdu, .. }
            | MmsPdu::Control { pdu, .. } => *pdu,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_services_by_tag_and_support_bit() {
        assert_eq!(Service(4).name(), Some("read"));
        assert_eq!(Service(77).name(), Some("file_directory"));
        assert_eq!(
            Service(78).name(),
            None,
            "a support bit, not a confirmed service"
        );
        assert_eq!(supported_service_name(79), Some("information_report"));
        assert_eq!(supported_service_name(85), None);
        assert_eq!(PduType(14).name(), None);
        assert_eq!(Spdu(13).name(), "connect");
    }
}
