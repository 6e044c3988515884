//! TLS and SSL 3.0 (RFC 8446, RFC 5246, RFC 6101): the cleartext handshake that names the
//! server, fingerprints the client and shows what protection the session really gets.
//!
//! Record framing and handshake reassembly (messages spanning records and segments) are done
//! here, because `tls-parser` parses complete records only; the hello messages and the
//! certificate list are decoded with `tls-parser`, certificates with `x509-parser`. Once both
//! directions are encrypted (ChangeCipherSpec in TLS 1.2 and earlier, application data in any
//! version) the module answers [`Feed::Done`](rampart_dissect::Feed::Done): nothing after is
//! readable. Certificate expiry is not judged: no packet time reaches dissectors.
//!
//! Records (protocol `tls`):
//! - `client_hello` (request): `version`, `supported_version` (highest offered), `sni`,
//!   `alpn`, `cipher_suites`, `extensions`, `supported_groups`, `ec_point_formats`,
//!   `signature_algorithms`, `ja3`, `ja3_hash` (JA3, GREASE removed), `ja4` (FoxIO JA4).
//! - `server_hello` (response): `version` (negotiated, supported_versions included),
//!   `version_name`, `legacy_version` (when different), `cipher`, `cipher_name`,
//!   `compression`, `alpn`, `extensions`.
//! - `certificate` (either direction, one per certificate, TLS ≤ 1.2): `chain_index`,
//!   `subject`, `issuer`, `serial`, `not_before`, `not_after` (RFC 3339), `san_dns`,
//!   `key_type`, `key_bits`, `key_curve`, `signature_algorithm`, `self_signed`,
//!   `fingerprint_sha256`.
//! - `alert` (cleartext alerts only): `level`, `description`.
//!
//! Identities: the client's JA4 (`tls_fingerprint`, STRONG); the SNI as the server's
//! `hostname` (WEAK: the client names it, the server never confirms it in cleartext). An
//! application recognised inside the TLS, today MQTT by ALPN id `mqtt` or by port 8883, is
//! the hellos' `application` field and the roles it implies (`mqtt broker`, `mqtt client`):
//! stated when the server selects it, strong when the client offers it, weak by port alone.
//! Findings (`weak_crypto`): negotiated SSL 2/3, TLS 1.0 or 1.1; NULL, EXPORT, RC4, RC2, DES,
//! 3DES or anonymous cipher suites; MD5/SHA-1 certificate signatures (except on a self-signed
//! anchor further up the chain) and RSA/DSA keys under 2048 bits. Anomalies: `not_tls`,
//! `bad_record_header`, `record_too_long`, `unknown_record_type`, `handshake_too_long`,
//! `handshake_length_mismatch`, `malformed_handshake`, `malformed_extension`,
//! `malformed_certificate`, `unexpected_handshake`.

mod cert;
mod dissector;
mod fingerprint;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The TLS registration: TCP 443 and 8443, and any port whose first record is a hello.
pub static REGISTRATION: Registration = Registration {
    name: "tls",
    transports: &[Transport::Tcp],
    ports: &[443, 8443],
    probe,
    new: |_| Box::new(dissector::TlsDissector::default()),
    limits: Limits::IT,
};

/// TLS on TCP 8883, MQTT's TLS port (IANA): the same dissector, told that the application
/// inside is MQTT unless ALPN says otherwise. Registered under the name `tls`, so flows and
/// records are TLS's; only a port this registration claims picks it over [`REGISTRATION`].
pub static MQTT_REGISTRATION: Registration = Registration {
    name: "tls",
    transports: &[Transport::Tcp],
    ports: &[8883],
    probe,
    new: |_| Box::new(dissector::TlsDissector::for_application("mqtt")),
    limits: Limits::IT,
};

/// Bytes searched for a record boundary in a stream picked up mid-record.
const MIDSTREAM_WINDOW: usize = 2048;

/// Recognise a handshake record (`16 03 0x`) carrying a ClientHello or ServerHello, or, in a
/// connection picked up mid-stream, two consecutive well-formed records from the first byte;
/// a chain that starts later (the capture began inside a record) or a single record header is
/// only plausible.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match data {
        [0x16, 0x03, minor, _, _, 1 | 2, ..] if *minor <= 4 => Probe::Certain,
        [0x16, 0x03, minor, _, _, _, ..] if *minor <= 4 => Probe::NotForUs,
        [0x16] | [0x16, 0x03] => Probe::Unsure,
        _ => match parse::find_record_chain(data, MIDSTREAM_WINDOW) {
            Some(0) => Probe::Certain,
            Some(_) => Probe::Unsure,
            None => match data {
                [0x14..=0x17, 0x03, minor, ..] if *minor <= 4 => Probe::Unsure,
                _ => Probe::NotForUs,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_recognises_a_connection_picked_up_mid_stream() {
        // Two application-data records (RFC 8446 §5.1: type 23, version 3.3, length 2).
        let chain = [0x17, 3, 3, 0, 2, 0xaa, 0xbb, 0x17, 3, 3, 0, 1, 0xcc];
        assert_eq!(probe(Direction::ToClient, &chain), Probe::Certain);
        let mut inside = vec![0x42, 0x99, 0x10];
        inside.extend_from_slice(&chain);
        assert_eq!(probe(Direction::ToClient, &inside), Probe::Unsure);
        assert_eq!(probe(Direction::ToClient, &chain[..7]), Probe::Unsure);
    }

    #[test]
    fn probe_is_certain_on_a_hello_record() {
        // RFC 8446 section 5.1: handshake (22), legacy_record_version 3.1, length, then
        // msg_type client_hello (1).
        assert_eq!(
            probe(Direction::ToServer, &[0x16, 3, 1, 0, 0xaf, 1]),
            Probe::Certain
        );
        assert_eq!(
            probe(Direction::ToClient, &[0x16, 3, 3, 0, 0x51, 2]),
            Probe::Certain
        );
        assert_eq!(
            probe(Direction::ToServer, &[0x16, 3, 1, 0, 0xaf]),
            Probe::Unsure
        );
        assert_eq!(
            probe(Direction::ToServer, &[0x17, 3, 3, 0, 0x20]),
            Probe::Unsure
        );
        assert_eq!(
            probe(Direction::ToServer, &[0x16, 3, 9, 0, 0x20, 1]),
            Probe::NotForUs
        );
        assert_eq!(
            probe(Direction::ToServer, b"GET / HTTP/1.1"),
            Probe::NotForUs
        );
    }
}
