//! Profinet DCP (IEC 61158-6-10 §4.3, "Discovery and basic Configuration Protocol"),
//! EtherType 0x8892 with frame ids 0xfefc (Hello), 0xfefd (Get/Set), 0xfefe (Identify
//! request, multicast) and 0xfeff (Identify response): how Profinet engineering tools find
//! devices and give them their names and IP addresses. Every other frame id of the EtherType
//! is cyclic real-time I/O or alarms, the bulk of Profinet traffic: those frames are dropped
//! after reading their first two bytes.
//!
//! **Records**, one per PDU, kind `identify`, `get`, `set`, `hello` or `unknown_service`,
//! direction `request` or `response` (a Hello is a request): `frame_id`, `service_id`,
//! `service`, `service_type`, `service_type_name` (`request`, `response_success`,
//! `response_not_supported`), `xid`, `response_delay` (Identify requests), `target_mac`
//! (Get and Set requests: the device addressed), `blocks` (every block as
//! `option/suboption`: `ip/ip_parameter`, `device/name_of_station`, `control/signal`, …,
//! unknown ones as `0x80/0x01`), and the values the blocks carry: `name_of_station`,
//! `type_of_station` (the DeviceVendorValue), `alias_name`, `vendor_id`, `device_id`,
//! `oem_vendor_id`, `oem_device_id`, `device_role` with `device_roles` (`io_device`,
//! `io_controller`, `io_multidevice`, `pn_supervisor`), `device_instance`, `mac_address`,
//! `ip`, `netmask`, `gateway`, `ip_block_info` with `ip_status` (`ip_set`, `ip_set_by_dhcp`,
//! `…_address_conflict`), `block_qualifier` and `permanent` (Set requests), `controls`
//! (`start_transaction`, `end_transaction`, `signal`, `reset_factory_settings`,
//! `reset_to_factory`), `reset_qualifier`, `signal_value`, `device_options`, `dhcp_options`,
//! `device_initiative`, and for Set responses `responses` (`ip/ip_parameter=ok`) and
//! `errors`. Texts are rendered safely: trailing NULs dropped, control bytes and invalid UTF-8
//! escaped as `\xNN`.
//!
//! **Activities**: Identify requests → `identify`; Get requests → `read`; Set requests that
//! change the name of station, the IP parameters, DHCP, the alias, the device initiative or
//! reset the device to factory settings → `config_change` (a factory reset erases the
//! station name and addresses, which is a configuration change first: the device does not
//! necessarily restart). A Set carrying only transaction brackets or a signal (flash the LED
//! to find the device) has no activity.
//!
//! **Identity**: an Identify or Get response, or a Hello, states who its sender is: the name of
//! station as `hostname`, the type of station as `model` (the standard defines it as the
//! manufacturer's device type, not the manufacturer), the device id as `product_code`
//! (`0x0a01`), and from the device role a `device_type` (`plc` for an IO-Controller, `io
//! device` for an IO-Device) and a `role` (`profinet io-controller`, …). When the PDU gives
//! an IP address the subject is `Host { mac, ip }`, which binds the two in the inventory.
//! Vendor ids are kept as numbers (`vendor_id`): this tree has no Profinet vendor table yet.
//!
//! **Anomalies**: `truncated`, `bad_length`, `unknown_service`, `unknown_service_type`,
//! `unknown_block`, `bad_name_of_station` (a name that breaks the DNS-style naming rules of
//! the standard, as format-string probes do).
//!
//! **Why hand-written**: no Rust crate parses DCP; the `profinet` crates on crates.io are
//! device stacks that build frames. DCP is small, and a monitor needs it lenient (every
//! block read on its own, unknown ones kept) and bounded (64 blocks a PDU).

mod dissector;
mod message;
mod parse;

use rampart_dissect::{FrameMatch, FrameRegistration};

/// The Profinet DCP link-layer protocol.
pub static FRAME_REGISTRATION: FrameRegistration = FrameRegistration {
    name: dissector::PROTOCOL,
    matches: &[FrameMatch::EtherType(0x8892)],
    dissect: dissector::dissect,
};
