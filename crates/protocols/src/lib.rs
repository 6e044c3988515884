//! Rampart's built-in protocol dissectors.
//!
//! One module per protocol, each the same shape (registration, messages, pure parsing,
//! streaming state), and one list, [`flow_protocols`] and [`frame_protocols`], that registers
//! them: adding a protocol is a folder plus one line here. Most industrial and discovery
//! protocols have no well-kept Rust parser that is lenient, bounded and anomaly-reporting as a
//! security monitor needs, so they are written here; where a well-kept crate fits (TLS, X.509,
//! HTTP headers) the module wraps it and says so, and where one was tried and rejected (SNMP's
//! `snmp-parser`) the module says why.

#![forbid(unsafe_code)]

use rampart_dissect::{FrameRegistration, Registration};

mod arp;
mod bacnet;
mod ber;
mod cdp;
mod cotp;
pub mod dhcp;
pub mod dhcpv6;
mod dnp3;
pub mod dns;
mod enip;
mod fins;
mod ftp;
mod goose;
pub mod http;
mod iec104;
mod inline;
mod label;
mod lldp;
mod located;
mod mms;
mod modbus;
mod mqtt;
pub mod nbns;
pub mod ntp;
mod opcua;
mod outstanding;
mod profinet_dcp;
mod record;
mod s7comm;
mod s7commplus;
mod slmp;
mod snmp;
mod srtp;
pub mod ssh;
mod sysdescr;
mod telnet;
mod text_list;
pub mod tls;
mod transactions;
mod value;
pub mod vendor_ids;
mod watched;

/// The flow protocols, in probing order.
static FLOW_PROTOCOLS: &[Registration] = &[
    dns::REGISTRATION,
    dns::MDNS_REGISTRATION,
    dns::LLMNR_REGISTRATION,
    nbns::REGISTRATION,
    dhcp::REGISTRATION,
    dhcpv6::REGISTRATION,
    ntp::REGISTRATION,
    snmp::REGISTRATION,
    dnp3::REGISTRATION,
    enip::REGISTRATION,
    enip::IO_REGISTRATION,
    bacnet::REGISTRATION,
    opcua::REGISTRATION,
    http::REGISTRATION,
    ssh::REGISTRATION,
    tls::REGISTRATION,
    // IEC 104 is certain only of two APDUs in a row; one is left to its port.
    iec104::REGISTRATION,
    // MQTT over TLS: the TLS dissector, told by the port what runs inside.
    tls::MQTT_REGISTRATION,
    modbus::REGISTRATION,
    mqtt::REGISTRATION,
    slmp::REGISTRATION,
    // A bare FINS frame has no signature: its probe is only plausible, the port decides.
    fins::REGISTRATION,
    // SRTP has no signature: it is recognised on its port only.
    srtp::REGISTRATION,
    // S7comm, S7comm-plus and MMS share TCP 102 and tell themselves apart after the COTP
    // handshake: each probe waits for the first data.
    s7comm::REGISTRATION,
    s7commplus::REGISTRATION,
    mms::REGISTRATION,
    // Telnet and FTP speak plain text that other probes can rule out or claim first.
    telnet::REGISTRATION,
    ftp::REGISTRATION,
];

/// Every built-in flow protocol, in probing order.
pub fn flow_protocols() -> &'static [Registration] {
    FLOW_PROTOCOLS
}

/// Every built-in link-layer protocol.
pub fn frame_protocols() -> &'static [FrameRegistration] {
    static ALL: &[FrameRegistration] = &[
        arp::FRAME_REGISTRATION,
        lldp::FRAME_REGISTRATION,
        cdp::FRAME_REGISTRATION,
        profinet_dcp::FRAME_REGISTRATION,
        goose::FRAME_REGISTRATION,
    ];
    ALL
}

#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
