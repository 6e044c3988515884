//! Profinet DCP code tables (IEC 61158-6-10, §4.3 "Discovery and basic Configuration
//! Protocol", the DCP service and block definitions), as open enums: every code is kept as a
//! number and only gains a name when the standard assigns one.

/// The first and last frame ids of DCP (IEC 61158-6-10 Table "FrameID"): 0xfefc Hello,
/// 0xfefd Get/Set, 0xfefe Identify request, 0xfeff Identify response. Every other frame id
/// of EtherType 0x8892 is cyclic or alarm real-time traffic.
pub mod frame_id {
    /// DCP Hello request (multicast).
    pub const HELLO: u16 = 0xfefc;
    /// DCP Identify response (unicast).
    pub const IDENTIFY_RESPONSE: u16 = 0xfeff;
}

/// Tell whether a frame id is a DCP frame.
pub fn is_dcp(frame_id: u16) -> bool {
    (frame_id::HELLO..=frame_id::IDENTIFY_RESPONSE).contains(&frame_id)
}

/// A DCP service id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceId(pub u8);

impl ServiceId {
    /// Get.
    pub const GET: ServiceId = ServiceId(3);
    /// Set.
    pub const SET: ServiceId = ServiceId(4);
    /// Identify.
    pub const IDENTIFY: ServiceId = ServiceId(5);
    /// Hello.
    pub const HELLO: ServiceId = ServiceId(6);

    /// Name the service, or `None` when unassigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 | 2 => "manufacturer_specific",
            3 => "get",
            4 => "set",
            5 => "identify",
            6 => "hello",
            _ => return None,
        })
    }
}

/// Name a service type: bit 0 is the response bit, bit 2 "request not supported".
pub fn service_type_name(service_type: u8) -> Option<&'static str> {
    Some(match service_type {
        0 => "request",
        1 => "response_success",
        5 => "response_not_supported",
        _ => return None,
    })
}

/// Block options (IEC 61158-6-10 "Option").
pub mod option {
    /// IP.
    pub const IP: u8 = 1;
    /// Device properties.
    pub const DEVICE: u8 = 2;
    /// DHCP.
    pub const DHCP: u8 = 3;
    /// Control.
    pub const CONTROL: u8 = 5;
    /// Device initiative.
    pub const INITIATIVE: u8 = 6;
    /// All selector (identify all).
    pub const ALL: u8 = 0xff;
}

/// Name an option/suboption pair as `option/suboption` in snake case.
pub fn block_name(option: u8, suboption: u8) -> Option<&'static str> {
    Some(match (option, suboption) {
        (1, 1) => "ip/mac_address",
        (1, 2) => "ip/ip_parameter",
        (1, 3) => "ip/full_ip_suite",
        (2, 1) => "device/type_of_station",
        (2, 2) => "device/name_of_station",
        (2, 3) => "device/device_id",
        (2, 4) => "device/device_role",
        (2, 5) => "device/device_options",
        (2, 6) => "device/alias_name",
        (2, 7) => "device/device_instance",
        (2, 8) => "device/oem_device_id",
        (2, 10) => "device/rsi_properties",
        (3, 12) => "dhcp/host_name",
        (3, 43) => "dhcp/vendor_specific",
        (3, 54) => "dhcp/server_identifier",
        (3, 55) => "dhcp/parameter_request_list",
        (3, 60) => "dhcp/class_identifier",
        (3, 61) => "dhcp/client_identifier",
        (3, 81) => "dhcp/fqdn",
        (3, 97) => "dhcp/uuid_client_identifier",
        (3, 255) => "dhcp/control",
        (5, 1) => "control/start_transaction",
        (5, 2) => "control/end_transaction",
        (5, 3) => "control/signal",
        (5, 4) => "control/response",
        (5, 5) => "control/reset_factory_settings",
        (5, 6) => "control/reset_to_factory",
        (6, 1) => "initiative/device_initiative",
        (0xff, 0xff) => "all/all",
        _ => return None,
    })
}

/// Name the roles set in a device role byte (IEC 61158-6-10 "DeviceRoleDetails").
pub fn role_names(role: u8) -> impl Iterator<Item = &'static str> {
    [
        (0x01, "io_device"),
        (0x02, "io_controller"),
        (0x04, "io_multidevice"),
        (0x08, "pn_supervisor"),
    ]
    .into_iter()
    .filter(move |(bit, _)| role & bit != 0)
    .map(|(_, name)| name)
}

/// The inventory's device type hint and role for a device role byte: a controller is a PLC.
pub fn role_hint(role: u8) -> Option<(&'static str, &'static str)> {
    if role & 0x02 != 0 {
        Some(("plc", "profinet io-controller"))
    } else if role & 0x05 != 0 {
        Some(("io device", "profinet io-device"))
    } else if role & 0x08 != 0 {
        Some(("engineering station", "profinet supervisor"))
    } else {
        None
    }
}

/// Name the IP block info (IEC 61158-6-10 "BlockInfo" of the IP parameter).
pub fn ip_info_name(info: u16) -> Option<&'static str> {
    Some(match info {
        0x00 => "ip_not_set",
        0x01 => "ip_set",
        0x02 => "ip_set_by_dhcp",
        0x80 => "ip_not_set_address_conflict",
        0x81 => "ip_set_address_conflict",
        0x82 => "ip_set_by_dhcp_address_conflict",
        _ => return None,
    })
}

/// Name a block error of a Set response (IEC 61158-6-10 "BlockError").
pub fn block_error_name(error: u8) -> Option<&'static str> {
    Some(match error {
        0 => "ok",
        1 => "option_not_supported",
        2 => "suboption_not_supported",
        3 => "suboption_not_set",
        4 => "resource_error",
        5 => "set_not_possible_local_reasons",
        6 => "set_not_possible_in_operation",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_services_blocks_and_roles() {
        assert_eq!(ServiceId(5).name(), Some("identify"));
        assert_eq!(ServiceId(9).name(), None);
        assert_eq!(block_name(2, 2), Some("device/name_of_station"));
        assert_eq!(block_name(2, 99), None);
        assert_eq!(
            role_names(0x03).collect::<Vec<_>>(),
            ["io_device", "io_controller"]
        );
        assert_eq!(role_hint(0x02), Some(("plc", "profinet io-controller")));
        assert_eq!(role_hint(0x01), Some(("io device", "profinet io-device")));
        assert!(is_dcp(0xfeff) && !is_dcp(0x8000));
    }
}
