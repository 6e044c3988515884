//! CDP, the Cisco Discovery Protocol: 802.3 frames with an LLC/SNAP header (OUI 00:00:0c,
//! protocol id 0x2000) in which Cisco gear, and the phones and cameras that plug into it,
//! describe themselves to their neighbours.
//!
//! Cisco has published no specification; the layout follows Cisco's configuration guides and
//! Wireshark's dissector: a 4-byte header (version, TTL, checksum) and type-length-value
//! fields whose length counts the 4-byte TLV header. One record per frame, kind
//! `advertisement` (no direction), with fields `version`, `ttl`, `checksum`, `device_id`,
//! `addresses`, `port_id`, `capabilities`, `software_version`, `platform`, `vtp_domain`,
//! `native_vlan`, `duplex`, `voip_vlan`, `management_addresses`, `system_name`, `location`
//! and `other_tlvs` (the types of TLVs not decoded), each present only when advertised.
//!
//! The sender (subject `Client`) is identified: device id as host name (an NX-OS serial
//! suffix split off as a weak serial number), platform as model, the `Version` of the software
//! as firmware, the software text as description, vendor (Cisco, unless the text names another
//! maker), capabilities and the device type they imply, management addresses and port.
//! Anomalies: `truncated`, `unknown_version`, `bad_checksum`, `truncated_tlv`,
//! `bad_tlv_length`, `duplicate_tlv`, `bad_address`.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{FrameMatch, FrameRegistration};

/// The CDP link-layer protocol.
pub static FRAME_REGISTRATION: FrameRegistration = FrameRegistration {
    name: "cdp",
    matches: &[FrameMatch::Snap {
        oui: [0x00, 0x00, 0x0c],
        pid: 0x2000,
    }],
    dissect: dissector::dissect,
};
