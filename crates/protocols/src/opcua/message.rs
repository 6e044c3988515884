//! OPC UA code points and the tables that name them (OPC 10000-4, -6, and the NodeIds of
//! the standard namespace).

use rampart_event::Activity;

/// The three-letter message type of a UA Connection Protocol or Secure Conversation header
/// (OPC 10000-6 §7.1.2.2, §6.7.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// Hello.
    Hello,
    /// Acknowledge.
    Acknowledge,
    /// Error.
    Error,
    /// ReverseHello.
    ReverseHello,
    /// OpenSecureChannel.
    Open,
    /// A secure conversation message.
    Message,
    /// CloseSecureChannel.
    Close,
}

impl MessageType {
    /// Read the three type octets.
    pub fn from_bytes(b: [u8; 3]) -> Option<MessageType> {
        Some(match &b {
            b"HEL" => MessageType::Hello,
            b"ACK" => MessageType::Acknowledge,
            b"ERR" => MessageType::Error,
            b"RHE" => MessageType::ReverseHello,
            b"OPN" => MessageType::Open,
            b"MSG" => MessageType::Message,
            b"CLO" => MessageType::Close,
            _ => return None,
        })
    }

    /// Return the three letters, as records and tshark print them.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Hello => "HEL",
            MessageType::Acknowledge => "ACK",
            MessageType::Error => "ERR",
            MessageType::ReverseHello => "RHE",
            MessageType::Open => "OPN",
            MessageType::Message => "MSG",
            MessageType::Close => "CLO",
        }
    }
}

/// The ServiceFault type's binary encoding id (OPC 10000-4 §7.33).
pub const SERVICE_FAULT: u32 = 397;

/// Name the service whose request or response has binary encoding id `id`, and tell which.
pub fn service(id: u32) -> Option<(&'static str, bool)> {
    let (name, request) = match id {
        397 => ("service_fault", false),
        422 => ("find_servers", true),
        425 => ("find_servers", false),
        428 => ("get_endpoints", true),
        431 => ("get_endpoints", false),
        437 => ("register_server", true),
        440 => ("register_server", false),
        446 => ("open_secure_channel", true),
        449 => ("open_secure_channel", false),
        452 => ("close_secure_channel", true),
        455 => ("close_secure_channel", false),
        461 => ("create_session", true),
        464 => ("create_session", false),
        467 => ("activate_session", true),
        470 => ("activate_session", false),
        473 => ("close_session", true),
        476 => ("close_session", false),
        479 => ("cancel", true),
        482 => ("cancel", false),
        488 => ("add_nodes", true),
        491 => ("add_nodes", false),
        494 => ("add_references", true),
        497 => ("add_references", false),
        500 => ("delete_nodes", true),
        503 => ("delete_nodes", false),
        506 => ("delete_references", true),
        509 => ("delete_references", false),
        527 => ("browse", true),
        530 => ("browse", false),
        533 => ("browse_next", true),
        536 => ("browse_next", false),
        554 => ("translate_browse_paths_to_node_ids", true),
        557 => ("translate_browse_paths_to_node_ids", false),
        560 => ("register_nodes", true),
        563 => ("register_nodes", false),
        566 => ("unregister_nodes", true),
        569 => ("unregister_nodes", false),
        615 => ("query_first", true),
        618 => ("query_first", false),
        621 => ("query_next", true),
        624 => ("query_next", false),
        631 => ("read", true),
        634 => ("read", false),
        664 => ("history_read", true),
        667 => ("history_read", false),
        673 => ("write", true),
        676 => ("write", false),
        700 => ("history_update", true),
        703 => ("history_update", false),
        712 => ("call", true),
        715 => ("call", false),
        751 => ("create_monitored_items", true),
        754 => ("create_monitored_items", false),
        763 => ("modify_monitored_items", true),
        766 => ("modify_monitored_items", false),
        769 => ("set_monitoring_mode", true),
        772 => ("set_monitoring_mode", false),
        775 => ("set_triggering", true),
        778 => ("set_triggering", false),
        781 => ("delete_monitored_items", true),
        784 => ("delete_monitored_items", false),
        787 => ("create_subscription", true),
        790 => ("create_subscription", false),
        793 => ("modify_subscription", true),
        796 => ("modify_subscription", false),
        799 => ("set_publishing_mode", true),
        802 => ("set_publishing_mode", false),
        826 => ("publish", true),
        829 => ("publish", false),
        832 => ("republish", true),
        835 => ("republish", false),
        841 => ("transfer_subscriptions", true),
        844 => ("transfer_subscriptions", false),
        847 => ("delete_subscriptions", true),
        850 => ("delete_subscriptions", false),
        12208 => ("find_servers_on_network", true),
        12209 => ("find_servers_on_network", false),
        12211 => ("register_server2", true),
        12212 => ("register_server2", false),
        _ => return None,
    };
    Some((name, request))
}

/// What a service does, for the record's `action` (by the request's encoding id).
///
/// Browse, BrowseNext, TranslateBrowsePaths, RegisterNodes and the queries read the
/// server's address space, its tag list and structure, without changing it: reads, as a
/// client walking a PLC's tag table is reading it. Publish and the subscription services
/// keep monitored values flowing: monitor. Node management changes the address space:
/// configuration.
pub fn activity(request_id: u32) -> Option<Activity> {
    Some(match request_id {
        422 | 428 | 12208 => Activity::Identify,
        437 | 12211 | 488 | 494 | 500 | 506 => Activity::ConfigChange,
        461 | 473 => Activity::Session,
        467 => Activity::Authentication,
        527 | 533 | 554 | 560 | 566 | 615 | 621 | 631 | 664 => Activity::Read,
        673 | 700 => Activity::Write,
        712 => Activity::Command,
        751 | 763 | 769 | 775 | 781 | 787 | 793 | 799 | 826 | 832 | 841 | 847 => Activity::Monitor,
        _ => return None,
    })
}

/// The encoding id of the response to the request with encoding id `request`.
pub fn response_of(request: u32) -> u32 {
    match request {
        12208 | 12211 => request + 1,
        _ => request + 3,
    }
}

/// Name a user identity token by its ExtensionObject encoding id (OPC 10000-4 §7.36).
pub fn identity_token_name(id: u32) -> Option<&'static str> {
    Some(match id {
        321 => "anonymous",
        324 => "username",
        327 => "x509",
        940 => "issued",
        _ => return None,
    })
}

/// The UserNameIdentityToken encoding id.
pub const USERNAME_TOKEN: u32 = 324;

/// Name a MessageSecurityMode (OPC 10000-4 §7.20).
pub fn security_mode_name(mode: u32) -> Option<&'static str> {
    Some(match mode {
        0 => "invalid",
        1 => "none",
        2 => "sign",
        3 => "sign_and_encrypt",
        _ => return None,
    })
}

/// Name an ApplicationType (OPC 10000-4 §7.4).
pub fn application_type_name(kind: u32) -> Option<&'static str> {
    Some(match kind {
        0 => "server",
        1 => "client",
        2 => "client_and_server",
        3 => "discovery_server",
        _ => return None,
    })
}

/// Name a SecurityTokenRequestType (OPC 10000-4 §5.5.2.2).
pub fn request_type_name(kind: u32) -> Option<&'static str> {
    Some(match kind {
        0 => "issue",
        1 => "renew",
        _ => return None,
    })
}

/// The security policy URI prefix; what follows `#` names the policy.
pub const POLICY_PREFIX: &str = "http://opcfoundation.org/UA/SecurityPolicy#";

/// Name a StatusCode by its symbol (OPC 10000-4 §7.39 and the standard's StatusCode table).
pub fn status_name(code: u32) -> Option<&'static str> {
    Some(match code & 0xffff_0000 {
        0x0000_0000 => "Good",
        0x4000_0000 => "Uncertain",
        0x8000_0000 => "Bad",
        0x8001_0000 => "BadUnexpectedError",
        0x8002_0000 => "BadInternalError",
        0x8003_0000 => "BadOutOfMemory",
        0x8004_0000 => "BadResourceUnavailable",
        0x8005_0000 => "BadCommunicationError",
        0x8006_0000 => "BadEncodingError",
        0x8007_0000 => "BadDecodingError",
        0x8008_0000 => "BadEncodingLimitsExceeded",
        0x8009_0000 => "BadUnknownResponse",
        0x800a_0000 => "BadTimeout",
        0x800b_0000 => "BadServiceUnsupported",
        0x800c_0000 => "BadShutdown",
        0x800d_0000 => "BadServerNotConnected",
        0x800e_0000 => "BadServerHalted",
        0x800f_0000 => "BadNothingToDo",
        0x8010_0000 => "BadTooManyOperations",
        0x8011_0000 => "BadDataTypeIdUnknown",
        0x8012_0000 => "BadCertificateInvalid",
        0x8013_0000 => "BadSecurityChecksFailed",
        0x8014_0000 => "BadCertificateTimeInvalid",
        0x8015_0000 => "BadCertificateIssuerTimeInvalid",
        0x8016_0000 => "BadCertificateHostNameInvalid",
        0x8017_0000 => "BadCertificateUriInvalid",
        0x8018_0000 => "BadCertificateUseNotAllowed",
        0x8019_0000 => "BadCertificateIssuerUseNotAllowed",
        0x801a_0000 => "BadCertificateUntrusted",
        0x801b_0000 => "BadCertificateRevocationUnknown",
        0x801c_0000 => "BadCertificateIssuerRevocationUnknown",
        0x801d_0000 => "BadCertificateRevoked",
        0x801e_0000 => "BadCertificateIssuerRevoked",
        0x801f_0000 => "BadUserAccessDenied",
        0x8020_0000 => "BadIdentityTokenInvalid",
        0x8021_0000 => "BadIdentityTokenRejected",
        0x8022_0000 => "BadSecureChannelIdInvalid",
        0x8023_0000 => "BadInvalidTimestamp",
        0x8024_0000 => "BadNonceInvalid",
        0x8025_0000 => "BadSessionIdInvalid",
        0x8026_0000 => "BadSessionClosed",
        0x8027_0000 => "BadSessionNotActivated",
        0x8028_0000 => "BadSubscriptionIdInvalid",
        0x802a_0000 => "BadRequestHeaderInvalid",
        0x802b_0000 => "BadTimestampsToReturnInvalid",
        0x802c_0000 => "BadRequestCancelledByClient",
        0x8033_0000 => "BadNodeIdInvalid",
        0x8034_0000 => "BadNodeIdUnknown",
        0x8035_0000 => "BadAttributeIdInvalid",
        0x8036_0000 => "BadIndexRangeInvalid",
        0x8037_0000 => "BadIndexRangeNoData",
        0x8038_0000 => "BadDataEncodingInvalid",
        0x8039_0000 => "BadDataEncodingUnsupported",
        0x803a_0000 => "BadNotReadable",
        0x803b_0000 => "BadNotWritable",
        0x803c_0000 => "BadOutOfRange",
        0x803d_0000 => "BadNotSupported",
        0x803e_0000 => "BadNotFound",
        0x803f_0000 => "BadObjectDeleted",
        0x8040_0000 => "BadNotImplemented",
        0x807c_0000 => "BadTcpServerTooBusy",
        0x807d_0000 => "BadTcpMessageTypeInvalid",
        0x807e_0000 => "BadTcpSecureChannelUnknown",
        0x807f_0000 => "BadTcpMessageTooLarge",
        0x8080_0000 => "BadTcpNotEnoughResources",
        0x8081_0000 => "BadTcpInternalError",
        0x8082_0000 => "BadTcpEndpointUrlInvalid",
        0x8083_0000 => "BadRequestInterrupted",
        0x8084_0000 => "BadRequestTimeout",
        0x8085_0000 => "BadSecureChannelClosed",
        0x8086_0000 => "BadSecureChannelTokenUnknown",
        0x8087_0000 => "BadSequenceNumberInvalid",
        0x80be_0000 => "BadProtocolVersionUnsupported",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_services_and_pairs_their_encodings() {
        assert_eq!(service(631), Some(("read", true)));
        assert_eq!(service(response_of(631)), Some(("read", false)));
        assert_eq!(
            service(response_of(12208)),
            Some(("find_servers_on_network", false))
        );
        assert_eq!(service(999), None);
        assert_eq!(activity(712), Some(Activity::Command));
        assert_eq!(activity(527), Some(Activity::Read));
        assert_eq!(status_name(0x8002_0000), Some("BadInternalError"));
        assert_eq!(status_name(0x8099_0000), None);
        assert_eq!(MessageType::from_bytes(*b"MSG"), Some(MessageType::Message));
        assert_eq!(MessageType::from_bytes(*b"XYZ"), None);
    }
}
