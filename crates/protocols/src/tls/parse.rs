//! Pure parsing for TLS: record and handshake-message framing (RFC 8446 sections 5.1 and 4;
//! RFC 5246 sections 6.2 and 7.4), and the hello messages decoded through `tls-parser`.

use rampart_dissect::Reader;
use tls_parser::{TlsExtension, nom};

/// The longest record fragment a peer may send: 2^14 plaintext plus 2048 bytes of expansion
/// (RFC 5246 section 6.2.3).
pub const MAX_RECORD: usize = (1 << 14) + 2048;

/// The length of a record header.
pub const HEADER_LEN: usize = 5;

/// Record content types (RFC 8446 section 5.1, RFC 6520 for heartbeat).
pub mod content_type {
    /// `change_cipher_spec`.
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// `alert`.
    pub const ALERT: u8 = 21;
    /// `handshake`.
    pub const HANDSHAKE: u8 = 22;
    /// `application_data`.
    pub const APPLICATION_DATA: u8 = 23;
    /// `heartbeat`.
    pub const HEARTBEAT: u8 = 24;
}

/// Handshake message types this module decodes (RFC 8446 section 4).
pub mod handshake_type {
    /// `client_hello`.
    pub const CLIENT_HELLO: u8 = 1;
    /// `server_hello`.
    pub const SERVER_HELLO: u8 = 2;
    /// `certificate`.
    pub const CERTIFICATE: u8 = 11;
}

/// A record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// The content type.
    pub content_type: u8,
    /// The legacy record version.
    pub version: u16,
    /// The fragment length.
    pub length: u16,
}

/// Read a record header, if five bytes are there.
pub fn record_header(data: &[u8]) -> Option<RecordHeader> {
    let mut r = Reader::new(data);
    Some(RecordHeader {
        content_type: r.u8("content_type").ok()?,
        version: r.u16("legacy_record_version").ok()?,
        length: r.u16("length").ok()?,
    })
}

impl RecordHeader {
    /// Tell whether the version is one of SSL 3.0 to TLS 1.3 (`03 00` to `03 04`).
    pub fn has_tls_version(&self) -> bool {
        (0x0300..=0x0304).contains(&self.version)
    }

    /// Tell whether this could be the header of a real record: a known content type, a TLS
    /// version and an allowed length. Used to find record boundaries after lost bytes.
    pub fn is_plausible(&self) -> bool {
        (content_type::CHANGE_CIPHER_SPEC..=content_type::HEARTBEAT).contains(&self.content_type)
            && self.has_tls_version()
            && usize::from(self.length) <= MAX_RECORD
    }
}

/// Find the first offset within `window` bytes of `data` where two plausible records follow
/// each other: a record boundary found in a stream picked up mid-record. One header alone
/// is too weak a signature in arbitrary bytes; a chain of two is not.
pub fn find_record_chain(data: &[u8], window: usize) -> Option<usize> {
    let plausible = |at: usize| {
        data.get(at..)
            .and_then(record_header)
            .filter(RecordHeader::is_plausible)
    };
    header_candidates(data, window).find(|&at| {
        plausible(at).is_some_and(|h| plausible(at + HEADER_LEN + usize::from(h.length)).is_some())
    })
}

/// Find the first offset in `data` where a plausible record header starts.
pub fn find_record(data: &[u8]) -> Option<usize> {
    header_candidates(data, data.len().saturating_sub(HEADER_LEN - 1)).find(|&at| {
        data.get(at..)
            .and_then(record_header)
            .is_some_and(|h| h.is_plausible())
    })
}

/// The offsets below `end` where a record header could start: those followed by the major
/// version byte `03`. Searching for that byte skips most offsets of a stream picked up
/// mid-record without decoding a header at each.
fn header_candidates(data: &[u8], end: usize) -> impl Iterator<Item = usize> + '_ {
    let last = end.min(data.len()).saturating_add(1).min(data.len());
    memchr::memchr_iter(0x03, data.get(1..last).unwrap_or_default())
}

/// A handshake message header: type and the 24-bit body length.
pub fn handshake_header(data: &[u8]) -> Option<(u8, usize)> {
    let mut r = Reader::new(data);
    let kind = r.u8("msg_type").ok()?;
    let len = r.bytes("length", 3).ok()?;
    let len = len
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Some((kind, len))
}

/// Why a hello message cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{message} does not parse at offset {offset} ({kind:?})")]
pub struct HelloError {
    /// Which message.
    pub message: &'static str,
    /// Where decoding stopped, within the message body.
    pub offset: usize,
    /// What the decoder expected there.
    pub kind: nom::error::ErrorKind,
}

fn hello_error(
    message: &'static str,
    body: &[u8],
    err: nom::Err<nom::error::Error<&[u8]>>,
) -> HelloError {
    let (offset, kind) = match err {
        nom::Err::Error(e) | nom::Err::Failure(e) => {
            (body.len().saturating_sub(e.input.len()), e.code)
        }
        nom::Err::Incomplete(_) => (body.len(), nom::error::ErrorKind::Eof),
    };
    HelloError {
        message,
        offset,
        kind,
    }
}

/// An extension whose body did not decode, kept by type and offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadExtension {
    /// The extension type.
    pub kind: u16,
    /// Its offset within the hello body.
    pub offset: usize,
}

/// The parts of a ClientHello that fingerprints and records use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// `legacy_version`.
    pub version: u16,
    /// Cipher suites, in order, GREASE included.
    pub ciphers: Vec<u16>,
    /// Extension types, in order, GREASE included.
    pub extensions: Vec<u16>,
    /// The first `host_name` of the server_name extension.
    pub sni: Option<&'a [u8]>,
    /// ALPN protocol names, in order.
    pub alpn: Vec<&'a [u8]>,
    /// Supported groups (formerly elliptic curves), in order.
    pub groups: Vec<u16>,
    /// EC point formats, in order.
    pub point_formats: Vec<u8>,
    /// Signature algorithms, in order.
    pub signature_algorithms: Vec<u16>,
    /// Versions offered in supported_versions, in order; empty when the extension is absent.
    pub supported_versions: Vec<u16>,
    /// Extensions whose body did not decode.
    pub bad_extensions: Vec<BadExtension>,
    /// Bytes after the extensions that the declared length does not account for.
    pub trailing: usize,
}

/// The parts of a ServerHello that records use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHello<'a> {
    /// `legacy_version`.
    pub version: u16,
    /// The version chosen through supported_versions (TLS 1.3), if any.
    pub selected_version: Option<u16>,
    /// The chosen cipher suite.
    pub cipher: u16,
    /// The chosen compression method.
    pub compression: u8,
    /// The chosen ALPN protocol, if any.
    pub alpn: Option<&'a [u8]>,
    /// Extension types, in order.
    pub extensions: Vec<u16>,
    /// Extensions whose body did not decode.
    pub bad_extensions: Vec<BadExtension>,
    /// Bytes after the extensions that the declared length does not account for.
    pub trailing: usize,
}

impl ServerHello<'_> {
    /// Return the version in force: supported_versions if present, else `legacy_version`.
    pub fn negotiated_version(&self) -> u16 {
        self.selected_version.unwrap_or(self.version)
    }
}

/// Walk an extensions block one extension at a time, so that one undecodable extension does
/// not hide the others; `visit` gets the type, the decoded extension (if it decoded) and the
/// offset of the extension within `body`.
fn walk_extensions<'a>(
    body: &'a [u8],
    block: &'a [u8],
    decode: fn(&'a [u8]) -> nom::IResult<&'a [u8], TlsExtension<'a>>,
    mut visit: impl FnMut(u16, Option<TlsExtension<'a>>, usize),
) {
    let base = body.len().saturating_sub(block.len());
    let mut r = Reader::new(block);
    while r.remaining() >= 4 {
        let start = r.offset();
        let (Ok(kind), Ok(len)) = (r.u16("extension_type"), r.u16("extension_data length")) else {
            break;
        };
        if r.skip("extension_data", usize::from(len)).is_err() {
            visit(kind, None, base + start);
            break;
        }
        let raw = block.get(start..r.offset()).unwrap_or_default();
        visit(kind, decode(raw).ok().map(|(_, ext)| ext), base + start);
    }
}

/// Decode a ClientHello body (after the handshake header).
pub fn parse_client_hello(body: &[u8]) -> Result<ClientHello<'_>, HelloError> {
    let (rest, ch) = tls_parser::parse_tls_handshake_client_hello(body)
        .map_err(|e| hello_error("ClientHello", body, e))?;
    let mut hello = ClientHello {
        version: ch.version.0,
        ciphers: ch.ciphers.iter().map(|c| c.0).collect(),
        trailing: rest.len(),
        ..ClientHello::default()
    };
    let block = ch.ext.unwrap_or_default();
    walk_extensions(
        body,
        block,
        tls_parser::parse_tls_client_hello_extension,
        |kind, ext, offset| {
            hello.extensions.push(kind);
            match ext {
                Some(TlsExtension::SNI(names)) => {
                    hello.sni = hello
                        .sni
                        .or_else(|| names.iter().find(|(t, _)| t.0 == 0).map(|&(_, n)| n));
                }
                Some(TlsExtension::ALPN(names)) => hello.alpn = names,
                Some(TlsExtension::EllipticCurves(groups)) => {
                    hello.groups = groups.iter().map(|g| g.0).collect();
                }
                Some(TlsExtension::EcPointFormats(formats)) => {
                    hello.point_formats = formats.to_vec();
                }
                Some(TlsExtension::SignatureAlgorithms(algs)) => hello.signature_algorithms = algs,
                Some(TlsExtension::SupportedVersions(versions)) => {
                    hello.supported_versions = versions.iter().map(|v| v.0).collect();
                }
                Some(_) => {}
                None => hello.bad_extensions.push(BadExtension { kind, offset }),
            }
        },
    );
    Ok(hello)
}

/// Decode a ServerHello body (after the handshake header).
pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello<'_>, HelloError> {
    let (rest, sh) = tls_parser::parse_tls_handshake_server_hello(body)
        .map_err(|e| hello_error("ServerHello", body, e))?;
    let mut hello = ServerHello {
        version: sh.version.0,
        cipher: sh.cipher.0,
        compression: sh.compression.0,
        trailing: rest.len(),
        ..ServerHello::default()
    };
    let block = sh.ext.unwrap_or_default();
    walk_extensions(
        body,
        block,
        tls_parser::parse_tls_server_hello_extension,
        |kind, ext, offset| {
            hello.extensions.push(kind);
            match ext {
                Some(TlsExtension::ALPN(names)) => hello.alpn = names.first().copied(),
                Some(TlsExtension::SupportedVersions(versions)) => {
                    hello.selected_version = versions.first().map(|v| v.0);
                }
                Some(_) => {}
                None => hello.bad_extensions.push(BadExtension { kind, offset }),
            }
        },
    );
    Ok(hello)
}

/// Split a TLS 1.2 (and earlier) Certificate body into DER certificates, leaf first.
pub fn parse_certificate_list(body: &[u8]) -> Result<Vec<&[u8]>, HelloError> {
    match tls_parser::parse_tls_handshake_msg_certificate(body) {
        Ok((_, tls_parser::TlsMessageHandshake::Certificate(list))) => {
            Ok(list.cert_chain.iter().map(|c| c.data).collect())
        }
        Ok(_) => Err(HelloError {
            message: "Certificate",
            offset: 0,
            kind: nom::error::ErrorKind::Tag,
        }),
        Err(e) => Err(hello_error("Certificate", body, e)),
    }
}

/// Name a protocol version the way Zeek and Suricata print it (`TLSv1.2`).
pub fn version_name(version: u16) -> Option<&'static str> {
    Some(match version {
        0x0002 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLSv1.0",
        0x0302 => "TLSv1.1",
        0x0303 => "TLSv1.2",
        0x0304 => "TLSv1.3",
        _ => return None,
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Encode a 16-bit value big-endian, as every TLS length and code point is.
    pub(crate) fn be16(v: usize) -> [u8; 2] {
        u16::try_from(v).unwrap_or(u16::MAX).to_be_bytes()
    }

    /// Build one extension: type, length, body (RFC 8446 section 4.2).
    pub(crate) fn extension(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut e = kind.to_be_bytes().to_vec();
        e.extend_from_slice(&be16(body.len()));
        e.extend_from_slice(body);
        e
    }

    /// Build a ClientHello body (RFC 8446 section 4.1.2): legacy_version, 32-byte random,
    /// empty session id, cipher suites, null compression, extensions.
    pub(crate) fn client_hello_body(version: u16, ciphers: &[u16], extensions: &[u8]) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec(); // legacy_version
        b.extend_from_slice(&[0x42; 32]); // random
        b.push(0); // legacy_session_id: empty
        b.extend_from_slice(&be16(ciphers.len() * 2)); // cipher_suites length
        for c in ciphers {
            b.extend_from_slice(&c.to_be_bytes());
        }
        b.extend_from_slice(&[1, 0]); // legacy_compression_methods: null
        b.extend_from_slice(&be16(extensions.len())); // extensions length
        b.extend_from_slice(extensions);
        b
    }

    /// Build a server_name extension body with one host_name (RFC 6066 section 3).
    pub(crate) fn sni(name: &str) -> Vec<u8> {
        let mut b = be16(name.len() + 3).to_vec(); // server_name_list length
        b.push(0); // name_type: host_name
        b.extend_from_slice(&be16(name.len()));
        b.extend_from_slice(name.as_bytes());
        b
    }

    /// Build an ALPN extension body (RFC 7301 section 3.1).
    pub(crate) fn alpn(names: &[&str]) -> Vec<u8> {
        let list: Vec<u8> = names
            .iter()
            .flat_map(|n| {
                let mut p = vec![u8::try_from(n.len()).unwrap_or(0)];
                p.extend_from_slice(n.as_bytes());
                p
            })
            .collect();
        let mut b = be16(list.len()).to_vec();
        b.extend(list);
        b
    }

    /// Build a u16 list with a 2-byte length prefix (supported_groups, signature_algorithms).
    pub(crate) fn u16_list(values: &[u16]) -> Vec<u8> {
        let mut b = be16(values.len() * 2).to_vec();
        for v in values {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b
    }

    #[test]
    fn decodes_client_hello_extensions() {
        let mut ext = extension(0x0a0a, &[]); // GREASE
        ext.extend(extension(0, &sni("plc.example"))); // server_name
        ext.extend(extension(10, &u16_list(&[0x001d, 0x0017]))); // supported_groups
        ext.extend(extension(11, &[1, 0])); // ec_point_formats: uncompressed
        ext.extend(extension(13, &u16_list(&[0x0403, 0x0804]))); // signature_algorithms
        ext.extend(extension(16, &alpn(&["h2", "http/1.1"]))); // ALPN
        ext.extend(extension(43, &[4, 0x03, 0x04, 0x03, 0x03])); // supported_versions
        let body = client_hello_body(0x0303, &[0x1301, 0xc02f], &ext);
        let hello = parse_client_hello(&body).expect("valid");
        assert_eq!(hello.version, 0x0303);
        assert_eq!(hello.ciphers, vec![0x1301, 0xc02f]);
        assert_eq!(hello.extensions, vec![0x0a0a, 0, 10, 11, 13, 16, 43]);
        assert_eq!(hello.sni, Some(&b"plc.example"[..]));
        assert_eq!(hello.alpn, vec![&b"h2"[..], &b"http/1.1"[..]]);
        assert_eq!(hello.groups, vec![0x001d, 0x0017]);
        assert_eq!(hello.point_formats, vec![0]);
        assert_eq!(hello.signature_algorithms, vec![0x0403, 0x0804]);
        assert_eq!(hello.supported_versions, vec![0x0304, 0x0303]);
        assert!(hello.bad_extensions.is_empty());
        assert_eq!(hello.trailing, 0);
    }

    #[test]
    fn keeps_going_past_an_undecodable_extension() {
        let mut ext = extension(16, &[0, 9, 2]); // ALPN list claims 9 bytes, has 1
        ext.extend(extension(0, &sni("a.b")));
        let body = client_hello_body(0x0303, &[0x002f], &ext);
        let hello = parse_client_hello(&body).expect("valid");
        assert_eq!(hello.extensions, vec![16, 0]);
        assert_eq!(hello.sni, Some(&b"a.b"[..]));
        assert_eq!(
            hello.bad_extensions,
            vec![BadExtension {
                kind: 16,
                offset: 2 + 32 + 1 + 2 + 2 + 2 + 2
            }]
        );
    }

    #[test]
    fn counts_bytes_the_hello_does_not_account_for() {
        let mut body = client_hello_body(0x0301, &[0x0005], &[]);
        body.extend_from_slice(&[0xde, 0xad]);
        // The extensions block claims 0 bytes, so 2 bytes trail.
        assert_eq!(parse_client_hello(&body).expect("valid").trailing, 2);
    }

    #[test]
    fn locates_a_truncated_client_hello() {
        let body = client_hello_body(0x0303, &[0x1301, 0x1302], &[]);
        let err = parse_client_hello(&body[..38]).expect_err("truncated");
        assert_eq!(err.message, "ClientHello");
        // version 2 + random 32 + session id 1 + cipher_suites length 2: the suites start at 37.
        assert_eq!(err.offset, 37);
    }

    #[test]
    fn decodes_a_tls13_server_hello() {
        // RFC 8446 section 4.1.3: legacy_version, random, session id echo, cipher, compression,
        // extensions (supported_versions selects TLS 1.3).
        let mut body = vec![0x03, 0x03]; // legacy_version TLS 1.2
        body.extend_from_slice(&[0x24; 32]); // random
        body.push(0); // legacy_session_id_echo: empty
        body.extend_from_slice(&[0x13, 0x01]); // cipher_suite TLS_AES_128_GCM_SHA256
        body.push(0); // legacy_compression_method
        let ext = extension(43, &[0x03, 0x04]); // supported_versions: TLS 1.3
        body.extend_from_slice(&be16(ext.len()));
        body.extend(ext);
        let hello = parse_server_hello(&body).expect("valid");
        assert_eq!(hello.negotiated_version(), 0x0304);
        assert_eq!(hello.cipher, 0x1301);
        assert_eq!(hello.extensions, vec![43]);
    }

    #[test]
    fn frames_records_and_handshakes() {
        assert_eq!(
            record_header(&[22, 3, 1, 0, 0xaf]),
            Some(RecordHeader {
                content_type: 22,
                version: 0x0301,
                length: 175
            })
        );
        assert_eq!(record_header(&[22, 3, 1, 0]), None);
        assert_eq!(handshake_header(&[1, 0, 0, 0xab]), Some((1, 171)));
        assert_eq!(
            find_record(&[0x99, 0x17, 0x17, 3, 3, 0, 5, 9]),
            Some(2),
            "0x17 0x17 0x03 is not a version; 0x17 0x03 0x03 is"
        );
        assert_eq!(find_record(&[23, 3, 3, 0xff, 0xff]), None, "too long");
    }
}
