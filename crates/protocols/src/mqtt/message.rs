//! MQTT control packets as typed values, and the code tables they use (MQTT 3.1 "MQIsdp",
//! OASIS MQTT 3.1.1 and MQTT 5.0, "the spec" below for 3.1.1 section numbers and "v5" for
//! 5.0's).

/// The protocol levels: 3 (3.1, "MQIsdp"), 4 (3.1.1), 5 (5.0).
pub const LEVEL_5: u8 = 5;

/// A control packet type, the high nibble of the first byte (spec §2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketType(pub u8);

impl PacketType {
    /// CONNECT.
    pub const CONNECT: PacketType = PacketType(1);
    /// PUBLISH.
    pub const PUBLISH: PacketType = PacketType(3);
    /// PUBREL, whose flags are 0010.
    pub const PUBREL: PacketType = PacketType(6);
    /// SUBSCRIBE, whose flags are 0010.
    pub const SUBSCRIBE: PacketType = PacketType(8);
    /// UNSUBSCRIBE, whose flags are 0010.
    pub const UNSUBSCRIBE: PacketType = PacketType(10);
    /// AUTH (v5 only).
    pub const AUTH: PacketType = PacketType(15);

    /// Name the packet type as records do, or `None` for the reserved type 0.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "connect",
            2 => "connack",
            3 => "publish",
            4 => "puback",
            5 => "pubrec",
            6 => "pubrel",
            7 => "pubcomp",
            8 => "subscribe",
            9 => "suback",
            10 => "unsubscribe",
            11 => "unsuback",
            12 => "pingreq",
            13 => "pingresp",
            14 => "disconnect",
            15 => "auth",
            _ => return None,
        })
    }

    /// Tell whether `flags` (the low nibble) are the ones the spec fixes for this type (§2.2.2):
    /// PUBLISH's carry DUP, QoS and RETAIN (QoS 3 is malformed), PUBREL, SUBSCRIBE and
    /// UNSUBSCRIBE's are 0010, every other type's 0000.
    pub fn flags_valid(self, flags: u8) -> bool {
        match self {
            PacketType::PUBLISH => (flags >> 1) & 3 != 3,
            PacketType::PUBREL | PacketType::SUBSCRIBE | PacketType::UNSUBSCRIBE => flags == 2,
            _ => flags == 0 && self.name().is_some(),
        }
    }
}

/// The fixed header (spec §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedHeader {
    /// Packet type.
    pub kind: PacketType,
    /// The low nibble.
    pub flags: u8,
    /// Remaining length: bytes after the fixed header.
    pub remaining: usize,
    /// Length of the fixed header itself (2 to 5 bytes).
    pub len: usize,
}

impl FixedHeader {
    /// Return the whole packet's length.
    pub fn total(&self) -> usize {
        self.len + self.remaining
    }
}

/// A CONNECT packet (spec §3.1, v5 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect<'a> {
    /// `MQTT` or `MQIsdp`.
    pub protocol_name: &'a [u8],
    /// Protocol level.
    pub level: u8,
    /// Connect flags: 0x80 user name, 0x40 password, 0x20 will retain, 0x18 will QoS,
    /// 0x04 will, 0x02 clean session, 0x01 reserved.
    pub flags: u8,
    /// Keep alive, seconds.
    pub keep_alive: u16,
    /// Client identifier.
    pub client_id: &'a [u8],
    /// Will topic, when the will flag is set.
    pub will_topic: Option<&'a [u8]>,
    /// Will message length, when the will flag is set.
    pub will_payload_len: Option<usize>,
    /// User name, when its flag is set.
    pub username: Option<&'a [u8]>,
    /// Whether a password follows (its value is never kept).
    pub password: bool,
}

impl Connect<'_> {
    /// The user name flag.
    pub fn username_flag(&self) -> bool {
        self.flags & 0x80 != 0
    }

    /// The password flag.
    pub fn password_flag(&self) -> bool {
        self.flags & 0x40 != 0
    }

    /// The will flag.
    pub fn will_flag(&self) -> bool {
        self.flags & 0x04 != 0
    }
}

/// A PUBLISH packet's variable header and payload size (spec §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish<'a> {
    /// Topic name.
    pub topic: &'a [u8],
    /// Packet identifier, present for QoS 1 and 2.
    pub packet_id: Option<u16>,
    /// Bytes of application message.
    pub payload_len: usize,
}

/// One control packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    /// CONNECT.
    Connect(Connect<'a>),
    /// CONNACK: session present and the return (v5: reason) code.
    Connack {
        /// Session present.
        session_present: bool,
        /// Return or reason code.
        code: u8,
    },
    /// PUBLISH.
    Publish(Publish<'a>),
    /// PUBACK, PUBREC, PUBREL, PUBCOMP.
    Ack {
        /// Packet identifier.
        packet_id: u16,
        /// v5 reason code, when present.
        reason: Option<u8>,
    },
    /// SUBSCRIBE: topic filters with their options.
    Subscribe {
        /// Packet identifier.
        packet_id: u16,
        /// (topic filter, options) pairs as on the wire.
        filters: &'a [u8],
    },
    /// SUBACK or UNSUBACK (v5 UNSUBACK carries reason codes).
    SubAck {
        /// Packet identifier.
        packet_id: u16,
        /// One return or reason code per filter.
        codes: &'a [u8],
    },
    /// UNSUBSCRIBE: topic filters.
    Unsubscribe {
        /// Packet identifier.
        packet_id: u16,
        /// Topic filters as on the wire.
        filters: &'a [u8],
    },
    /// PINGREQ or PINGRESP.
    Ping,
    /// DISCONNECT or AUTH, with a v5 reason code when present.
    Reason(Option<u8>),
}

/// Name a CONNACK return code of MQTT 3.1 and 3.1.1 (spec §3.2.2.3).
pub fn connack_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "accepted",
        1 => "unacceptable_protocol_version",
        2 => "identifier_rejected",
        3 => "server_unavailable",
        4 => "bad_user_name_or_password",
        5 => "not_authorized",
        _ => return None,
    })
}

/// Name an MQTT 5 reason code (v5 §2.4).
pub fn reason_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "success",
        0x01 => "granted_qos_1",
        0x02 => "granted_qos_2",
        0x04 => "disconnect_with_will_message",
        0x10 => "no_matching_subscribers",
        0x11 => "no_subscription_existed",
        0x18 => "continue_authentication",
        0x19 => "re_authenticate",
        0x80 => "unspecified_error",
        0x81 => "malformed_packet",
        0x82 => "protocol_error",
        0x83 => "implementation_specific_error",
        0x84 => "unsupported_protocol_version",
        0x85 => "client_identifier_not_valid",
        0x86 => "bad_user_name_or_password",
        0x87 => "not_authorized",
        0x88 => "server_unavailable",
        0x89 => "server_busy",
        0x8a => "banned",
        0x8b => "server_shutting_down",
        0x8c => "bad_authentication_method",
        0x8d => "keep_alive_timeout",
        0x8e => "session_taken_over",
        0x8f => "topic_filter_invalid",
        0x90 => "topic_name_invalid",
        0x91 => "packet_identifier_in_use",
        0x92 => "packet_identifier_not_found",
        0x93 => "receive_maximum_exceeded",
        0x94 => "topic_alias_invalid",
        0x95 => "packet_too_large",
        0x96 => "message_rate_too_high",
        0x97 => "quota_exceeded",
        0x98 => "administrative_action",
        0x99 => "payload_format_invalid",
        0x9a => "retain_not_supported",
        0x9b => "qos_not_supported",
        0x9c => "use_another_server",
        0x9d => "server_moved",
        0x9e => "shared_subscriptions_not_supported",
        0x9f => "connection_rate_exceeded",
        0xa0 => "maximum_connect_time",
        0xa1 => "subscription_identifiers_not_supported",
        0xa2 => "wildcard_subscriptions_not_supported",
        _ => return None,
    })
}

/// Name a SUBACK return code of MQTT 3.1.1 (spec §3.9.3): the granted QoS, or failure.
pub fn suback_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "granted_qos_0",
        1 => "granted_qos_1",
        2 => "granted_qos_2",
        0x80 => "failure",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_fixed_header_flags_per_type() {
        assert!(PacketType::SUBSCRIBE.flags_valid(2));
        assert!(!PacketType::SUBSCRIBE.flags_valid(0));
        assert!(PacketType::PUBLISH.flags_valid(0b1011));
        assert!(!PacketType::PUBLISH.flags_valid(0b0110), "QoS 3");
        assert!(!PacketType(0).flags_valid(0));
        assert_eq!(PacketType(14).name(), Some("disconnect"));
        assert_eq!(connack_name(5), Some("not_authorized"));
        assert_eq!(reason_name(0x87), Some("not_authorized"));
        assert_eq!(reason_name(0x05), None);
    }
}
