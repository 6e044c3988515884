//! Streaming TLS: whole records are consumed as they complete, handshake messages are
//! reassembled across records, and the flow is done once both directions are encrypted.

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Finding,
    FindingKind, Identity, Record, Subject, Value, report,
};
use rampart_event::Hex;
use tls_parser::{TlsCipherAu, TlsCipherEnc, TlsCipherKx, TlsCipherSuite};

use super::cert::{self, Certificate};
use super::fingerprint;
use super::parse::{
    self, ClientHello, HEADER_LEN, HelloError, MAX_RECORD, ServerHello, content_type,
    handshake_type,
};

const PROTOCOL: &str = "tls";

/// The largest handshake message reassembled; larger ones (absurd certificate chains) are
/// skipped. Bounds the per-direction buffer.
const MAX_HANDSHAKE: usize = 128 * 1024;

/// One direction's state.
#[derive(Debug, Default)]
struct Side {
    /// Handshake bytes of a message not complete yet.
    handshake: Vec<u8>,
    /// Handshake bytes still to skip of an oversized message.
    skip: usize,
    /// Whether records in this direction are now encrypted.
    encrypted: bool,
    /// Whether a valid record was ever seen (a stream that starts with garbage is not TLS).
    synced: bool,
    /// Whether bytes were lost and the next record boundary is unknown.
    lost: bool,
}

/// Per-flow TLS state.
#[derive(Debug, Default)]
pub struct TlsDissector {
    sides: [Side; 2],
    /// Whether the server chose TLS 1.3, where ChangeCipherSpec is only a compatibility signal.
    tls13: bool,
    /// The application the flow's port implies (`mqtt` on 8883), until ALPN says otherwise.
    port_application: Option<&'static str>,
}

impl TlsDissector {
    /// Start a flow on a port that implies `application` inside the TLS.
    pub fn for_application(application: &'static str) -> TlsDissector {
        TlsDissector {
            port_application: Some(application),
            ..TlsDissector::default()
        }
    }
}

/// The applications recognised inside TLS, by ALPN protocol id (IANA "TLS ALPN Protocol IDs"),
/// with the roles they give the server and the client.
const APPLICATIONS: &[(&str, &str, &str)] = &[("mqtt", "mqtt broker", "mqtt client")];

/// Report the application inside the TLS and the roles it implies: as the server chose it
/// (stated), as the client offered it (strong), or as the port implies it (weak).
fn report_application(
    application: &str,
    subjects: &[Subject],
    confidence: Confidence,
    sink: &mut dyn EventSink,
) {
    let Some(&(_, server, client)) = APPLICATIONS.iter().find(|(a, _, _)| *a == application) else {
        return;
    };
    for &subject in subjects {
        let role = if subject == Subject::Server {
            server
        } else {
            client
        };
        sink.emit(Event::Identity(Identity {
            protocol: PROTOCOL,
            subject,
            attribute: Attribute::Role,
            value: role,
            confidence,
        }));
    }
}

impl Dissector for TlsDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let mut at = 0;
        loop {
            let rest = data.get(at..).unwrap_or_default();
            let side = &mut self.sides[dir.index()];
            if side.lost {
                match parse::find_record(rest) {
                    Some(start) => {
                        side.lost = false;
                        at += start;
                        continue;
                    }
                    None => {
                        at += rest.len().saturating_sub(HEADER_LEN - 1);
                        break;
                    }
                }
            }
            let Some(header) = parse::record_header(rest) else {
                break;
            };
            if !header.has_tls_version() {
                if let Some(start) = (!side.synced)
                    .then(|| parse::find_record_chain(rest, super::MIDSTREAM_WINDOW))
                    .flatten()
                {
                    // Picked up inside a record: start at the next record boundary.
                    side.synced = true;
                    at += start;
                    continue;
                }
                if !side.synced {
                    report(
                        sink,
                        PROTOCOL,
                        "not_tls",
                        Some(at),
                        &format_args!(
                            "stream starts with {:02x?}, not a TLS record header",
                            rest.get(..HEADER_LEN).unwrap_or_default()
                        ),
                    );
                    return Feed::Done;
                }
                report(
                    sink,
                    PROTOCOL,
                    "bad_record_header",
                    Some(at),
                    &format_args!(
                        "record version {:#06x} is not SSL 3.0 to TLS 1.3",
                        header.version
                    ),
                );
                side.lost = true;
                at += 1;
                continue;
            }
            let length = usize::from(header.length);
            let Some(fragment) = rest.get(HEADER_LEN..HEADER_LEN + length) else {
                break;
            };
            side.synced = true;
            if length > MAX_RECORD {
                report(
                    sink,
                    PROTOCOL,
                    "record_too_long",
                    Some(at + 3),
                    &format_args!("record length {length} exceeds {MAX_RECORD}"),
                );
            }
            self.record(dir, header.content_type, fragment, at, sink);
            at += HEADER_LEN + length;
            if self.sides.iter().all(|s| s.encrypted) {
                return Feed::Done;
            }
        }
        Feed::Consumed(at)
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        let side = &mut self.sides[dir.index()];
        side.lost = true;
        side.handshake.clear();
        side.skip = 0;
    }
}

impl TlsDissector {
    fn record(
        &mut self,
        dir: Direction,
        kind: u8,
        fragment: &[u8],
        offset: usize,
        sink: &mut dyn EventSink,
    ) {
        let tls13 = self.tls13;
        let side = &mut self.sides[dir.index()];
        match kind {
            content_type::CHANGE_CIPHER_SPEC => {
                side.handshake.clear();
                // In TLS 1.3 the record is a middlebox-compatibility no-op (RFC 8446 D.4).
                side.encrypted |= !tls13;
            }
            content_type::ALERT if !side.encrypted => emit_alert(dir, fragment, sink),
            content_type::HANDSHAKE if !side.encrypted => self.handshake(dir, fragment, sink),
            content_type::APPLICATION_DATA => side.encrypted = true,
            content_type::ALERT | content_type::HANDSHAKE | content_type::HEARTBEAT => {}
            other => report(
                sink,
                PROTOCOL,
                "unknown_record_type",
                Some(offset),
                &format_args!("record content type {other}"),
            ),
        }
    }

    /// Add a record's handshake bytes and handle every message they complete.
    fn handshake(&mut self, dir: Direction, fragment: &[u8], sink: &mut dyn EventSink) {
        let side = &mut self.sides[dir.index()];
        let skipped = side.skip.min(fragment.len());
        side.skip -= skipped;
        side.handshake
            .extend_from_slice(fragment.get(skipped..).unwrap_or_default());
        let buffer = std::mem::take(&mut side.handshake);
        let mut at = 0;
        while let Some((kind, len)) = buffer.get(at..).and_then(parse::handshake_header) {
            if len > MAX_HANDSHAKE {
                report(
                    sink,
                    PROTOCOL,
                    "handshake_too_long",
                    None,
                    &format_args!(
                        "handshake message type {kind} of {len} bytes exceeds {MAX_HANDSHAKE}"
                    ),
                );
                let buffered = buffer.len() - at - 4;
                self.sides[dir.index()].skip = len.saturating_sub(buffered);
                at = buffer.len();
                break;
            }
            let Some(body) = buffer.get(at + 4..at + 4 + len) else {
                break;
            };
            self.message(dir, kind, body, sink);
            at += 4 + len;
        }
        let side = &mut self.sides[dir.index()];
        side.handshake = buffer;
        side.handshake.drain(..at.min(side.handshake.len()));
    }

    fn message(&mut self, dir: Direction, kind: u8, body: &[u8], sink: &mut dyn EventSink) {
        match (kind, dir) {
            (handshake_type::CLIENT_HELLO, Direction::ToServer) => {
                match parse::parse_client_hello(body) {
                    Ok(hello) => emit_client_hello(&hello, self.port_application, sink),
                    Err(err) => report_hello_error(&err, sink),
                }
            }
            (handshake_type::SERVER_HELLO, Direction::ToClient) => {
                match parse::parse_server_hello(body) {
                    Ok(hello) => {
                        self.tls13 = hello.negotiated_version() == 0x0304;
                        emit_server_hello(&hello, sink);
                    }
                    Err(err) => report_hello_error(&err, sink),
                }
            }
            (handshake_type::CERTIFICATE, _) if !self.tls13 => {
                match parse::parse_certificate_list(body) {
                    Ok(chain) => emit_certificates(dir, &chain, sink),
                    Err(err) => report_hello_error(&err, sink),
                }
            }
            (handshake_type::CLIENT_HELLO | handshake_type::SERVER_HELLO, _) => report(
                sink,
                PROTOCOL,
                "unexpected_handshake",
                None,
                &format_args!("handshake type {kind} travelling {}", dir.as_str()),
            ),
            _ => {}
        }
    }
}

fn report_hello_error(err: &HelloError, sink: &mut dyn EventSink) {
    report(sink, PROTOCOL, "malformed_handshake", Some(err.offset), err);
}

fn report_leftovers(
    message: &str,
    bad: &[parse::BadExtension],
    trailing: usize,
    sink: &mut dyn EventSink,
) {
    for ext in bad {
        report(
            sink,
            PROTOCOL,
            "malformed_extension",
            Some(ext.offset),
            &format_args!("{message} extension {} does not decode", ext.kind),
        );
    }
    if trailing > 0 {
        report(
            sink,
            PROTOCOL,
            "handshake_length_mismatch",
            None,
            &format_args!("{message} length leaves {trailing} bytes unaccounted for"),
        );
    }
}

fn emit_alert(dir: Direction, fragment: &[u8], sink: &mut dyn EventSink) {
    let [level, description] = fragment else {
        // A longer fragment is several alerts or an encrypted one: not worth a record.
        return;
    };
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "alert",
        direction: Some(dir),
        activity: None,
        fields: Fields(&[
            ("level", Value::U64(u64::from(*level))),
            ("description", Value::U64(u64::from(*description))),
        ]),
    }));
}

fn emit_client_hello(
    hello: &ClientHello<'_>,
    port_application: Option<&'static str>,
    sink: &mut dyn EventSink,
) {
    report_leftovers("ClientHello", &hello.bad_extensions, hello.trailing, sink);
    let ja3 = fingerprint::ja3_string(hello);
    let ja3_hash = fingerprint::ja3_hash(&ja3);
    let ja4 = fingerprint::ja4(hello);
    let sni = hello.sni.map(String::from_utf8_lossy);
    let alpn: Vec<_> = hello
        .alpn
        .iter()
        .map(|a| String::from_utf8_lossy(a))
        .collect();
    let alpn: Vec<&str> = alpn.iter().map(AsRef::as_ref).collect();
    let point_formats: Vec<u16> = hello.point_formats.iter().map(|&f| u16::from(f)).collect();
    let offered = hello
        .supported_versions
        .iter()
        .copied()
        .filter(|&v| !fingerprint::is_grease(v))
        .max();
    let mut fields = vec![("version", Value::U64(u64::from(hello.version)))];
    if let Some(v) = offered {
        fields.push(("supported_version", Value::U64(u64::from(v))));
    }
    if let Some(sni) = &sni {
        fields.push(("sni", Value::Str(sni)));
    }
    fields.extend([
        ("alpn", Value::Strs(&alpn)),
        ("cipher_suites", Value::U16s(&hello.ciphers)),
        ("extensions", Value::U16s(&hello.extensions)),
        ("supported_groups", Value::U16s(&hello.groups)),
        ("ec_point_formats", Value::U16s(&point_formats)),
        (
            "signature_algorithms",
            Value::U16s(&hello.signature_algorithms),
        ),
        ("ja3", Value::Str(&ja3)),
        ("ja3_hash", Value::Str(&ja3_hash)),
        ("ja4", Value::Str(&ja4)),
    ]);
    let offered = APPLICATIONS
        .iter()
        .find(|(a, _, _)| alpn.contains(a))
        .map(|&(a, _, _)| (a, Confidence::STRONG));
    let application = offered.or(port_application.map(|a| (a, Confidence::WEAK)));
    if let Some((a, _)) = application {
        fields.push(("application", Value::Str(a)));
    }
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "client_hello",
        direction: Some(Direction::ToServer),
        activity: None,
        fields: Fields(&fields),
    }));
    sink.emit(Event::Identity(Identity {
        protocol: PROTOCOL,
        subject: Subject::Client,
        attribute: Attribute::TlsFingerprint,
        value: &ja4,
        confidence: Confidence::STRONG,
    }));
    if let Some((a, confidence)) = application {
        report_application(a, &[Subject::Client, Subject::Server], confidence, sink);
    }
    if let Some(sni) = sni.as_deref().filter(|s| !s.is_empty()) {
        // The client names the server it wants; the server never confirms it in cleartext.
        sink.emit(Event::Identity(Identity {
            protocol: PROTOCOL,
            subject: Subject::Server,
            attribute: Attribute::Hostname,
            value: sni,
            confidence: Confidence::WEAK,
        }));
    }
}

/// Why a cipher suite is weak, if it is: no or broken encryption, export strength, or no
/// authentication at all.
fn cipher_weakness(suite: &TlsCipherSuite) -> Option<&'static str> {
    if suite.name.contains("EXPORT") {
        return Some("export_cipher");
    }
    match suite.enc {
        TlsCipherEnc::Null => return Some("null_cipher"),
        TlsCipherEnc::Rc4 => return Some("rc4_cipher"),
        TlsCipherEnc::Des => return Some("des_cipher"),
        TlsCipherEnc::TripleDes => return Some("3des_cipher"),
        TlsCipherEnc::Rc2 => return Some("rc2_cipher"),
        _ => {}
    }
    (suite.au == TlsCipherAu::Null && suite.kx != TlsCipherKx::Tls13).then_some("anonymous_cipher")
}

fn emit_server_hello(hello: &ServerHello<'_>, sink: &mut dyn EventSink) {
    report_leftovers("ServerHello", &hello.bad_extensions, hello.trailing, sink);
    let version = hello.negotiated_version();
    let suite = TlsCipherSuite::from_id(hello.cipher);
    let alpn = hello.alpn.map(String::from_utf8_lossy);
    let mut fields = vec![("version", Value::U64(u64::from(version)))];
    if let Some(name) = parse::version_name(version) {
        fields.push(("version_name", Value::Str(name)));
    }
    if version != hello.version {
        fields.push(("legacy_version", Value::U64(u64::from(hello.version))));
    }
    fields.push(("cipher", Value::U64(u64::from(hello.cipher))));
    if let Some(suite) = suite {
        fields.push(("cipher_name", Value::Str(suite.name)));
    }
    fields.push(("compression", Value::U64(u64::from(hello.compression))));
    if let Some(alpn) = &alpn {
        fields.push(("alpn", Value::Str(alpn)));
    }
    let chosen = APPLICATIONS
        .iter()
        .find(|(a, _, _)| alpn.as_deref() == Some(*a))
        .map(|&(a, _, _)| a);
    if let Some(a) = chosen {
        fields.push(("application", Value::Str(a)));
    }
    fields.push(("extensions", Value::U16s(&hello.extensions)));
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "server_hello",
        direction: Some(Direction::ToClient),
        activity: None,
        fields: Fields(&fields),
    }));
    if let Some(a) = chosen {
        report_application(a, &[Subject::Server], Confidence::STATED, sink);
    }

    if matches!(version, 0x0002 | 0x0300 | 0x0301 | 0x0302) {
        let name = parse::version_name(version).unwrap_or("SSL/TLS");
        weak(
            Subject::Server,
            &[
                ("reason", Value::Str("obsolete_version")),
                ("version", Value::Str(name)),
            ],
            sink,
        );
    }
    if let Some((suite, reason)) = suite.and_then(|s| cipher_weakness(s).map(|r| (s, r))) {
        weak(
            Subject::Server,
            &[
                ("reason", Value::Str(reason)),
                ("cipher", Value::U64(u64::from(hello.cipher))),
                ("cipher_name", Value::Str(suite.name)),
            ],
            sink,
        );
    }
}

fn weak(subject: Subject, fields: &[(&str, Value<'_>)], sink: &mut dyn EventSink) {
    sink.emit(Event::Finding(Finding {
        protocol: PROTOCOL,
        kind: FindingKind::WeakCrypto,
        subject,
        fields: Fields(fields),
    }));
}

fn emit_certificates(dir: Direction, chain: &[&[u8]], sink: &mut dyn EventSink) {
    for (position, der) in chain.iter().enumerate() {
        match cert::summarise(der) {
            Ok(cert) => emit_certificate(dir, position, &cert, sink),
            Err(err) => report(sink, PROTOCOL, "malformed_certificate", None, &err),
        }
    }
}

fn emit_certificate(
    dir: Direction,
    position: usize,
    cert: &Certificate<'_>,
    sink: &mut dyn EventSink,
) {
    let serial = Hex(cert.serial).to_string();
    let mut fields = vec![
        ("chain_index", Value::U64(position as u64)),
        ("subject", Value::Str(&cert.subject)),
        ("issuer", Value::Str(&cert.issuer)),
        ("serial", Value::Str(&serial)),
        ("not_before", Value::Str(&cert.not_before)),
        ("not_after", Value::Str(&cert.not_after)),
        ("san_dns", Value::Strs(&cert.san_dns)),
        ("key_type", Value::Str(&cert.key_type)),
    ];
    if let Some(bits) = cert.key_bits {
        fields.push(("key_bits", Value::U64(bits)));
    }
    if let Some(curve) = &cert.key_curve {
        fields.push(("key_curve", Value::Str(curve)));
    }
    fields.extend([
        ("signature_algorithm", Value::Str(&cert.signature_algorithm)),
        ("self_signed", Value::Bool(cert.self_signed)),
        ("fingerprint_sha256", Value::Bytes(&cert.sha256)),
    ]);
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "certificate",
        direction: Some(dir),
        activity: None,
        fields: Fields(&fields),
    }));
    // Nobody checks the signature on a trust anchor, so a self-signed root sent along the
    // chain is not weakened by its hash; a self-signed leaf (a device's own cert) is.
    let anchor = cert.self_signed && position > 0;
    if cert.weak_signature && !anchor {
        weak(
            dir.sender(),
            &[
                ("reason", Value::Str("weak_signature_algorithm")),
                ("signature_algorithm", Value::Str(&cert.signature_algorithm)),
                ("subject", Value::Str(&cert.subject)),
            ],
            sink,
        );
    }
    if cert.short_key() {
        weak(
            dir.sender(),
            &[
                ("reason", Value::Str("short_key")),
                ("key_type", Value::Str(&cert.key_type)),
                ("key_bits", Value::U64(cert.key_bits.unwrap_or_default())),
                ("subject", Value::Str(&cert.subject)),
            ],
            sink,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::cert::tests::certificate;
    use super::super::parse::tests::{alpn, be16, client_hello_body, extension, sni, u16_list};
    use super::*;
    use rampart_event::CollectingSink;

    /// Wrap a handshake body: msg_type and 24-bit length (RFC 8446 section 4).
    fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
        let len = u32::try_from(body.len()).unwrap_or(0).to_be_bytes();
        let mut m = vec![kind, len[1], len[2], len[3]];
        m.extend_from_slice(body);
        m
    }

    /// Wrap a fragment in a record: content type, legacy version 3.1/3.3, length (RFC 8446
    /// section 5.1).
    fn record(kind: u8, version: u16, fragment: &[u8]) -> Vec<u8> {
        let mut r = vec![kind];
        r.extend_from_slice(&version.to_be_bytes());
        r.extend_from_slice(&be16(fragment.len()));
        r.extend_from_slice(fragment);
        r
    }

    fn server_hello_body(version: u16, cipher: u16, extensions: &[u8]) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec(); // legacy_version
        b.extend_from_slice(&[0x24; 32]); // random
        b.push(0); // session id: empty
        b.extend_from_slice(&cipher.to_be_bytes()); // cipher_suite
        b.push(0); // compression_method: null
        b.extend_from_slice(&be16(extensions.len()));
        b.extend_from_slice(extensions);
        b
    }

    /// Feed deliveries as the engine would: unconsumed bytes are offered again.
    fn run(d: &mut TlsDissector, chunks: &[(Direction, &[u8])], sink: &mut CollectingSink) -> Feed {
        let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        let mut last = Feed::Consumed(0);
        for (dir, chunk) in chunks {
            let buf = &mut pending[dir.index()];
            buf.extend_from_slice(chunk);
            last = d.feed(*dir, buf, sink);
            match last {
                Feed::Consumed(n) => {
                    buf.drain(..n);
                }
                Feed::LostSync => buf.clear(),
                Feed::Done => return Feed::Done,
            }
        }
        last
    }

    #[test]
    fn names_mqtt_inside_tls_by_alpn_or_by_port() {
        // ClientHello offering ALPN "mqtt" (RFC 7301; IANA ALPN id for MQTT), on any port.
        let hello = handshake(
            1,
            &client_hello_body(0x0303, &[0x1301], &extension(16, &alpn(&["mqtt"]))),
        );
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        run(
            &mut d,
            &[(Direction::ToServer, &record(22, 0x0301, &hello))],
            &mut sink,
        );
        assert!(sink.matching("record tls client_hello")[0].contains(r#""application":"mqtt""#));
        assert_eq!(
            sink.matching("identity tls Client role"),
            vec!["identity tls Client role mqtt client"]
        );
        assert_eq!(
            sink.matching("identity tls Server role"),
            vec!["identity tls Server role mqtt broker"]
        );
        // No ALPN, but port 8883: the same, by the port's registration.
        let plain = handshake(1, &client_hello_body(0x0303, &[0x1301], &[]));
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::for_application("mqtt");
        run(
            &mut d,
            &[(Direction::ToServer, &record(22, 0x0301, &plain))],
            &mut sink,
        );
        assert!(sink.matching("record tls client_hello")[0].contains(r#""application":"mqtt""#));
        let mut sink = CollectingSink::default();
        run(
            &mut TlsDissector::default(),
            &[(Direction::ToServer, &record(22, 0x0301, &plain))],
            &mut sink,
        );
        assert!(!sink.lines.iter().any(|l| l.contains("mqtt")));
    }

    /// The ClientHello of `it/tls12-ja4-suricata.pcap`, rebuilt field by field from its
    /// decoded form (18 cipher suites, 10 extensions; RFC 5246 section 7.4.1.2).
    fn suricata_ja4_client_hello() -> Vec<u8> {
        let mut ext = extension(0xff01, &[0]); // renegotiation_info, empty
        ext.extend(extension(10, &u16_list(&[0x0017, 0x0018, 0x0019]))); // supported_groups
        ext.extend(extension(11, &[1, 0])); // ec_point_formats: uncompressed
        ext.extend(extension(35, &[])); // session_ticket
        ext.extend(extension(13172, &[])); // next_protocol_negotiation
        ext.extend(extension(16, &alpn(&["spdy/3.1", "http/1.1"]))); // ALPN
        ext.extend(extension(30032, &[])); // channel_id
        ext.extend(extension(5, &[1, 0, 0, 0, 0])); // status_request: OCSP, empty lists
        ext.extend(extension(18, &[])); // signed_certificate_timestamp
        ext.extend(extension(
            13,
            &u16_list(&[
                0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0402, 0x0202,
            ]),
        )); // signature_algorithms
        let ciphers = [
            0xc02b, 0xc02f, 0x009e, 0xc00a, 0xc009, 0xc013, 0xc014, 0xc007, 0xc011, 0x0033, 0x0032,
            0x0039, 0x009c, 0x002f, 0x0035, 0x000a, 0x0005, 0x0004,
        ];
        handshake(1, &client_hello_body(0x0303, &ciphers, &ext))
    }

    #[test]
    fn fingerprints_the_suricata_ja4_client_hello_like_suricata_and_tshark() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        let bytes = record(22, 0x0301, &suricata_ja4_client_hello());
        run(&mut d, &[(Direction::ToServer, &bytes)], &mut sink);
        let hello = sink.matching("record tls client_hello request");
        assert_eq!(hello.len(), 1, "{:?}", sink.lines);
        // JA3 as tshark prints it; JA4 as suricata-verify tests/ja4-tls expects it.
        assert!(hello[0].contains(r#""ja3":"771,49195-49199-158-49162-49161-49171-49172-49159-49169-51-50-57-156-47-53-10-5-4,65281-10-11-35-13172-16-30032-5-18-13,23-24-25,0""#), "{}", hello[0]);
        assert!(hello[0].contains(r#""ja3_hash":"308b0bd904abbef5e0034a1ff7a78920""#));
        assert!(hello[0].contains(r#""ja4":"t12i1810s1_27d4652c4487_06a4338d0495""#));
        assert_eq!(
            sink.matching("identity"),
            vec!["identity tls Client tls_fingerprint t12i1810s1_27d4652c4487_06a4338d0495"]
        );
    }

    #[test]
    fn reassembles_a_client_hello_split_across_records_and_deliveries() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        let ext = extension(0, &sni("hmi.plant.example"));
        let hello = handshake(1, &client_hello_body(0x0303, &[0x1301], &ext));
        let (a, b) = hello.split_at(20);
        let stream = [record(22, 0x0301, a), record(22, 0x0301, b)].concat();
        let (first, second) = stream.split_at(11);
        run(
            &mut d,
            &[(Direction::ToServer, first), (Direction::ToServer, second)],
            &mut sink,
        );
        assert_eq!(sink.matching("record tls client_hello").len(), 1);
        assert!(
            sink.matching("record tls client_hello")[0].contains(r#""sni":"hmi.plant.example""#)
        );
        assert_eq!(
            sink.matching("identity tls Server"),
            vec!["identity tls Server hostname hmi.plant.example"]
        );
    }

    #[test]
    fn reports_a_tls10_rc4_server_with_a_weak_certificate_and_finishes() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        let client = record(
            22,
            0x0301,
            &handshake(1, &client_hello_body(0x0301, &[0x0005], &[])),
        );
        let leaf = certificate("plc.example", "plc.example", 5, 128);
        let mut list = Vec::new();
        list.extend_from_slice(&u32::try_from(leaf.len() + 3).unwrap_or(0).to_be_bytes()[1..]);
        list.extend_from_slice(&u32::try_from(leaf.len()).unwrap_or(0).to_be_bytes()[1..]);
        list.extend_from_slice(&leaf);
        let server = [
            record(
                22,
                0x0301,
                &handshake(2, &server_hello_body(0x0301, 0x0005, &[])),
            ),
            record(22, 0x0301, &handshake(11, &list)),
            record(22, 0x0301, &handshake(14, &[])), // ServerHelloDone
        ]
        .concat();
        let ccs = record(20, 0x0301, &[1]);
        let answer = run(
            &mut d,
            &[
                (Direction::ToServer, &client),
                (Direction::ToClient, &server),
                (Direction::ToServer, &ccs),
                (Direction::ToClient, &ccs),
            ],
            &mut sink,
        );
        assert_eq!(answer, Feed::Done);
        assert!(
            sink.matching("record tls server_hello")[0].contains(r#""version_name":"TLSv1.0""#)
        );
        let cert = sink.matching("record tls certificate response");
        assert_eq!(cert.len(), 1);
        assert!(
            cert[0].contains(r#""subject":"CN=plc.example""#),
            "{}",
            cert[0]
        );
        let reasons: Vec<_> = sink
            .matching("finding tls weak_crypto Server")
            .iter()
            .map(|l| l.split('"').nth(3).unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            reasons,
            vec![
                "obsolete_version",
                "rc4_cipher",
                "weak_signature_algorithm",
                "short_key"
            ]
        );
    }

    #[test]
    fn tls13_change_cipher_spec_does_not_hide_the_second_flight() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        let sv = extension(43, &[0x03, 0x04]);
        let server = record(
            22,
            0x0303,
            &handshake(2, &server_hello_body(0x0303, 0x1301, &sv)),
        );
        let ccs = record(20, 0x0303, &[1]);
        let hello = record(
            22,
            0x0303,
            &handshake(1, &client_hello_body(0x0303, &[0x1301], &[])),
        );
        run(
            &mut d,
            &[
                (Direction::ToClient, &server),
                (Direction::ToServer, &ccs),
                (Direction::ToServer, &hello),
            ],
            &mut sink,
        );
        assert!(sink.matching("record tls server_hello")[0].contains(r#""version":772"#));
        assert_eq!(sink.matching("record tls client_hello").len(), 1);
        assert!(sink.matching("finding").is_empty());
        let app = record(23, 0x0303, &[0xaa; 8]);
        assert_eq!(
            run(
                &mut d,
                &[(Direction::ToServer, &app), (Direction::ToClient, &app)],
                &mut sink
            ),
            Feed::Done
        );
    }

    #[test]
    fn flags_unknown_record_types_and_oversized_records() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        let stream = [
            record(
                22,
                0x0303,
                &handshake(1, &client_hello_body(0x0303, &[0x1301], &[])),
            ),
            record(99, 0x0303, &[1, 2, 3]),
            record(23, 0x0303, &vec![0; MAX_RECORD + 1]),
        ]
        .concat();
        let answer = d.feed(Direction::ToServer, &stream, &mut sink);
        assert_eq!(answer, Feed::Consumed(stream.len()));
        assert_eq!(sink.anomalies("unknown_record_type"), 1);
        assert_eq!(sink.anomalies("record_too_long"), 1);
    }

    #[test]
    fn flags_a_handshake_length_mismatch() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        let mut body = client_hello_body(0x0303, &[0x1301], &[]);
        body.extend_from_slice(&[0, 0, 0]);
        let bytes = record(22, 0x0303, &handshake(1, &body));
        d.feed(Direction::ToServer, &bytes, &mut sink);
        assert_eq!(sink.anomalies("handshake_length_mismatch"), 1);
        assert_eq!(sink.matching("record tls client_hello").len(), 1);
    }

    #[test]
    fn gives_up_on_a_stream_that_is_not_tls() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        assert_eq!(
            d.feed(Direction::ToServer, b"GET / HTTP/1.1\r\n", &mut sink),
            Feed::Done
        );
        assert_eq!(sink.anomalies("not_tls"), 1);
    }

    #[test]
    fn resynchronises_on_the_next_record_after_a_gap() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        d.feed(Direction::ToServer, &record(23, 0x0303, &[1; 4]), &mut sink);
        d.gap(Direction::ToServer, 100, &mut sink);
        let hello = record(
            22,
            0x0303,
            &handshake(1, &client_hello_body(0x0303, &[0x1301], &[])),
        );
        let stream = [&[0x42, 0x42, 0x42][..], &hello].concat();
        // The direction already saw application data, so the hello is not decoded, but the
        // record boundary is found and the whole stream consumed.
        assert_eq!(
            d.feed(Direction::ToServer, &stream, &mut sink),
            Feed::Consumed(stream.len())
        );
    }

    #[test]
    fn skips_an_oversized_handshake_message() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        // A Certificate message claiming 1 MiB, then a ServerHello in a later record.
        let claim = [11, 0x10, 0x00, 0x00];
        d.feed(Direction::ToClient, &record(22, 0x0303, &claim), &mut sink);
        assert_eq!(sink.anomalies("handshake_too_long"), 1);
        assert_eq!(d.sides[1].skip, 1 << 20);
        assert!(d.sides[1].handshake.is_empty());
    }

    #[test]
    fn records_cleartext_alerts() {
        let mut sink = CollectingSink::default();
        let mut d = TlsDissector::default();
        d.feed(
            Direction::ToClient,
            &record(21, 0x0303, &[2, 40]),
            &mut sink,
        );
        assert_eq!(
            sink.matching("record tls alert"),
            vec![r#"record tls alert response {"level":2,"description":40}"#]
        );
    }
}
