//! LLDP (IEEE 802.1AB), EtherType 0x88cc: what a switch port, PLC or phone says about itself
//! to its neighbours, once every 30 seconds or so.
//!
//! Owns the LLDPDU: every TLV of 802.1AB §8.5, the 802.1 Port VLAN ID (Annex D), the 802.3
//! MAC/PHY configuration TLV (IEEE 802.3 §79.3.1) and the LLDP-MED inventory TLVs
//! (ANSI/TIA-1057 §10.2.6); any other organisationally specific TLV (PROFINET's 00:0e:cf, …)
//! is kept as its OUI and subtype. One record per frame, kind `advertisement` (no direction),
//! with fields `chassis_id_subtype`, `chassis_id` (a MAC for subtype 4, an IP address for
//! subtype 5, text otherwise), `port_id_subtype`, `port_id`, `ttl`, `port_description`,
//! `system_name`, `system_description`, `capabilities`, `enabled_capabilities`,
//! `management_addresses`, `management_interfaces`, `port_vlan_id`, `autoneg_supported`,
//! `autoneg_enabled`, `mau_type`, the LLDP-MED `hardware_revision`, `firmware_revision`,
//! `software_revision`, `serial_number`, `manufacturer`, `model_name`, `asset_id`, and
//! `org_tlvs` (`oui/subtype`), each present only when advertised.
//!
//! LLDP is the richest self-description on an industrial network, so the frame's sender
//! (subject `Client`) gets identity observations: the system name as host name, the system
//! description, capabilities, management addresses, port, LLDP-MED inventory (all stated), a
//! device type from the enabled capabilities, and weak vendor, OS, model and firmware hints
//! read from well-known system descriptions. Anomalies: `truncated_tlv`, `bad_tlv_length`,
//! `bad_tlv_order`, `missing_mandatory_tlv`, `duplicate_tlv`, `reserved_tlv_type`,
//! `reserved_subtype`, `enabled_capability_not_supported`, and `too_many_tlvs` (once per
//! frame, when more management addresses or organisational TLVs come than are kept).

mod dissector;
mod message;
mod parse;

use rampart_dissect::{FrameMatch, FrameRegistration};

/// The LLDP link-layer protocol.
pub static FRAME_REGISTRATION: FrameRegistration = FrameRegistration {
    name: "lldp",
    matches: &[FrameMatch::EtherType(0x88cc)],
    dissect: dissector::dissect,
};
