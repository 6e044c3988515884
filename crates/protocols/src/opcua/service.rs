//! Service request and response bodies (OPC 10000-4 §5, §7) read into a reusable
//! [`Details`]: headers (handle, result), the application descriptions that identify
//! clients and servers, secure channel and session parameters, and the nodes a service
//! reads, writes, browses or calls.

use std::fmt::Write as _;

use super::message::USERNAME_TOKEN;
use super::parse::{OpcUaError, Ua};
use crate::text_list::TextList;

/// Nodes listed per message.
pub const MAX_NODES: usize = 32;
/// Application descriptions and endpoint policies listed per message.
const MAX_APPLICATIONS: usize = 16;
/// Bytes of one listed text, at most.
const MAX_TEXT: usize = 256;

/// What one message's body says, in buffers reused from message to message.
#[derive(Debug, Default)]
pub struct Details {
    /// RequestHeader/ResponseHeader request handle.
    pub request_handle: Option<u32>,
    /// ResponseHeader service result.
    pub service_result: Option<u32>,
    /// An endpoint URL asked for (GetEndpoints, FindServers, CreateSession).
    pub endpoint_url: String,
    /// OpenSecureChannel: issue or renew.
    pub request_type: Option<u32>,
    /// OpenSecureChannel: the security mode asked for.
    pub security_mode: Option<u32>,
    /// OpenSecureChannel: requested or revised token lifetime, ms.
    pub lifetime: Option<u32>,
    /// OpenSecureChannelResponse: the channel and token ids issued.
    pub issued: Option<(u32, u32)>,
    /// Application URIs of the application descriptions.
    pub application_uris: TextList,
    /// Their product URIs.
    pub product_uris: TextList,
    /// Their names.
    pub application_names: TextList,
    /// Their types.
    pub application_types: Vec<u32>,
    /// Security policy URIs the endpoints offer.
    pub offered_policies: TextList,
    /// Security modes the endpoints offer.
    pub offered_modes: Vec<u32>,
    /// Endpoints described.
    pub endpoint_count: usize,
    /// CreateSession: the session name.
    pub session_name: String,
    /// ActivateSession: the identity token's type id.
    pub identity_token: Option<u32>,
    /// ActivateSession: the user name of a UserNameIdentityToken.
    pub user_name: String,
    /// ActivateSession: the password was encrypted (an encryption algorithm was named).
    pub password_encrypted: Option<bool>,
    /// Nodes the service operates on, in string form (`ns=2;s=Motor`).
    pub nodes: TextList,
    /// Nodes seen, including those past [`MAX_NODES`].
    pub node_count: usize,
    /// Write: the first value written.
    pub value: String,
    /// Whether a value was written.
    pub has_value: bool,
}

impl Details {
    /// Forget the previous message, keeping the memory.
    pub fn clear(&mut self) {
        self.request_handle = None;
        self.service_result = None;
        self.endpoint_url.clear();
        self.request_type = None;
        self.security_mode = None;
        self.lifetime = None;
        self.issued = None;
        self.application_uris.clear();
        self.product_uris.clear();
        self.application_names.clear();
        self.application_types.clear();
        self.offered_policies.clear();
        self.offered_modes.clear();
        self.endpoint_count = 0;
        self.session_name.clear();
        self.identity_token = None;
        self.user_name.clear();
        self.password_encrypted = None;
        self.nodes.clear();
        self.node_count = 0;
        self.value.clear();
        self.has_value = false;
    }
}

/// Append a UA string's text, bounded, to `out`.
fn push_text(out: &mut String, bytes: Option<&[u8]>) {
    let text = String::from_utf8_lossy(bytes.unwrap_or_default());
    let mut cut = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    out.push_str(&text[..cut]);
}

/// Read the body of the message whose type id is `service` into `d` (cleared by the
/// caller). What was read before an error stays in `d`.
pub fn decode(service: u32, u: &mut Ua<'_>, d: &mut Details) -> Result<(), OpcUaError> {
    let request = super::message::service(service).is_some_and(|(_, request)| request);
    if request {
        request_header(u, d)?;
    } else {
        response_header(u, d)?;
    }
    match service {
        // OpenSecureChannel (§5.5.2).
        446 => {
            u.u32("client protocol version")?;
            d.request_type = Some(u.u32("request type")?);
            d.security_mode = Some(u.u32("security mode")?);
            u.bytes("client nonce")?;
            d.lifetime = Some(u.u32("requested lifetime")?);
        }
        449 => {
            u.u32("server protocol version")?;
            let channel = u.u32("channel id")?;
            let token = u.u32("token id")?;
            d.issued = Some((channel, token));
            u.skip("created at", 8)?;
            d.lifetime = Some(u.u32("revised lifetime")?);
        }
        // FindServers (§5.4.2), GetEndpoints (§5.4.4).
        422 | 428 => push_text(&mut d.endpoint_url, u.bytes("endpoint URL")?),
        425 => {
            for _ in 0..u.array("servers")? {
                application(u, d)?;
            }
        }
        431 => {
            for _ in 0..u.array("endpoints")? {
                endpoint(u, d)?;
            }
        }
        // CreateSession (§5.6.2).
        461 => {
            application(u, d)?;
            u.bytes("server URI")?;
            push_text(&mut d.endpoint_url, u.bytes("endpoint URL")?);
            push_text(&mut d.session_name, u.bytes("session name")?);
        }
        464 => {
            u.node_id()?;
            u.node_id()?;
            u.skip("revised session timeout", 8)?;
            u.bytes("server nonce")?;
            u.bytes("server certificate")?;
            for _ in 0..u.array("server endpoints")? {
                endpoint(u, d)?;
            }
        }
        // ActivateSession (§5.6.3).
        467 => {
            u.bytes("signature algorithm")?;
            u.bytes("signature")?;
            for _ in 0..u.array("client software certificates")? {
                u.bytes("certificate data")?;
                u.bytes("signature")?;
            }
            u.strings("locale ids")?;
            let (token, body) = u.extension_object()?;
            d.identity_token = token.standard();
            if let (Some(USERNAME_TOKEN), Some((body, at))) = (d.identity_token, body) {
                let mut t = Ua::new(body, at);
                t.bytes("policy id")?;
                push_text(&mut d.user_name, t.bytes("user name")?);
                t.bytes("password")?;
                let algorithm = t.bytes("encryption algorithm")?;
                d.password_encrypted = Some(algorithm.is_some_and(|a| !a.is_empty()));
            }
        }
        // Read (§5.10.2): MaxAge, TimestampsToReturn, then ReadValueIds.
        631 => {
            u.skip("max age", 8)?;
            u.u32("timestamps to return")?;
            for _ in 0..u.array("nodes to read")? {
                node(u, d)?;
                u.u32("attribute id")?;
                u.bytes("index range")?;
                u.qualified_name()?;
            }
        }
        // HistoryRead (§5.10.3).
        664 => {
            u.extension_object()?;
            u.u32("timestamps to return")?;
            u.u8("release continuation points")?;
            for _ in 0..u.array("nodes to read")? {
                node(u, d)?;
                u.bytes("index range")?;
                u.qualified_name()?;
                u.bytes("continuation point")?;
            }
        }
        // Write (§5.10.4): WriteValues, the first value rendered.
        673 => {
            for _ in 0..u.array("nodes to write")? {
                node(u, d)?;
                u.u32("attribute id")?;
                u.bytes("index range")?;
                let first = !d.has_value;
                d.has_value = true;
                let out = first.then_some(&mut d.value);
                u.data_value_into(0, out)?;
            }
        }
        // Browse (§5.8.2).
        527 => {
            u.node_id()?;
            u.skip("view timestamp", 8)?;
            u.u32("view version")?;
            u.u32("requested max references")?;
            for _ in 0..u.array("nodes to browse")? {
                node(u, d)?;
                u.u32("browse direction")?;
                u.node_id()?;
                u.u8("include subtypes")?;
                u.u32("node class mask")?;
                u.u32("result mask")?;
            }
        }
        // Call (§5.11.2): the methods called.
        712 => {
            for _ in 0..u.array("methods to call")? {
                u.node_id()?;
                node(u, d)?;
                for _ in 0..u.array("input arguments")? {
                    u.variant(0, None)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Read a RequestHeader (§7.32).
fn request_header(u: &mut Ua<'_>, d: &mut Details) -> Result<(), OpcUaError> {
    u.node_id()?;
    u.skip("timestamp", 8)?;
    d.request_handle = Some(u.u32("request handle")?);
    u.u32("return diagnostics")?;
    u.bytes("audit entry id")?;
    u.u32("timeout hint")?;
    u.extension_object()?;
    Ok(())
}

/// Read a ResponseHeader (§7.33).
fn response_header(u: &mut Ua<'_>, d: &mut Details) -> Result<(), OpcUaError> {
    u.skip("timestamp", 8)?;
    d.request_handle = Some(u.u32("request handle")?);
    d.service_result = Some(u.u32("service result")?);
    u.diagnostic_info(0)?;
    u.strings("string table")?;
    u.extension_object()?;
    Ok(())
}

/// Read a NodeId and list it.
fn node(u: &mut Ua<'_>, d: &mut Details) -> Result<(), OpcUaError> {
    let n = u.node_id()?;
    d.node_count += 1;
    if d.nodes.len() < MAX_NODES {
        let _ = write!(d.nodes.next(), "{n}");
        d.nodes.finish();
    }
    Ok(())
}

/// Read an ApplicationDescription (§7.2), listing it unless already listed.
fn application(u: &mut Ua<'_>, d: &mut Details) -> Result<(), OpcUaError> {
    let uri = u.bytes("application URI")?;
    let product = u.bytes("product URI")?;
    let name = u.localized_text()?;
    let kind = u.u32("application type")?;
    u.bytes("gateway server URI")?;
    u.bytes("discovery profile URI")?;
    u.strings("discovery URLs")?;
    let listed = d
        .application_uris
        .iter()
        .zip(d.product_uris.iter())
        .any(|(a, p)| {
            a.as_bytes() == uri.unwrap_or_default() && p.as_bytes() == product.unwrap_or_default()
        });
    if !listed && d.application_uris.len() < MAX_APPLICATIONS {
        push_text(d.application_uris.next(), uri);
        d.application_uris.finish();
        push_text(d.product_uris.next(), product);
        d.product_uris.finish();
        push_text(d.application_names.next(), name);
        d.application_names.finish();
        d.application_types.push(kind);
    }
    Ok(())
}

/// Read an EndpointDescription (§7.14): its server's application, mode and policy.
fn endpoint(u: &mut Ua<'_>, d: &mut Details) -> Result<(), OpcUaError> {
    d.endpoint_count += 1;
    u.bytes("endpoint URL")?;
    application(u, d)?;
    u.bytes("server certificate")?;
    let mode = u.u32("security mode")?;
    let policy = u.bytes("security policy URI")?;
    let listed = d
        .offered_policies
        .iter()
        .any(|p| p.as_bytes() == policy.unwrap_or_default());
    if !listed && d.offered_policies.len() < MAX_APPLICATIONS {
        push_text(d.offered_policies.next(), policy);
        d.offered_policies.finish();
    }
    if !d.offered_modes.contains(&mode) && d.offered_modes.len() < MAX_APPLICATIONS {
        d.offered_modes.push(mode);
    }
    for _ in 0..u.array("user identity tokens")? {
        u.bytes("policy id")?;
        u.u32("token type")?;
        u.bytes("issued token type")?;
        u.bytes("issuer endpoint URL")?;
        u.bytes("security policy URI")?;
    }
    u.bytes("transport profile URI")?;
    u.u8("security level")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A RequestHeader with handle `handle` (§7.32): null token, no diagnostics.
    fn request_header(handle: u8) -> Vec<u8> {
        vec![
            0x00, 0x00, // AuthenticationToken: two-byte NodeId i=0
            0, 0, 0, 0, 0, 0, 0, 0, // Timestamp
            handle, 0, 0, 0, // RequestHandle
            0, 0, 0, 0, // ReturnDiagnostics
            0xff, 0xff, 0xff, 0xff, // AuditEntryId: null
            0x10, 0x27, 0, 0, // TimeoutHint 10000
            0x00, 0x00, 0x00, // AdditionalHeader: i=0, no body
        ]
    }

    fn string(s: &[u8]) -> Vec<u8> {
        let mut v = (s.len() as u32).to_le_bytes().to_vec();
        v.extend_from_slice(s);
        v
    }

    #[test]
    fn reads_a_username_activate_session() {
        let mut body = request_header(7);
        body.extend_from_slice(&[0xff; 4]); // signature algorithm: null
        body.extend_from_slice(&[0xff; 4]); // signature: null
        body.extend_from_slice(&[0, 0, 0, 0]); // no software certificates
        body.extend_from_slice(&[0, 0, 0, 0]); // no locale ids
        let mut token = string(b"username_basic");
        token.extend_from_slice(&string(b"operator")); // UserName
        token.extend_from_slice(&string(b"hunter2")); // Password, in clear
        token.extend_from_slice(&[0xff; 4]); // EncryptionAlgorithm: null
        body.extend_from_slice(&[0x01, 0x00, 0x44, 0x01, 0x01]); // i=324, binary body
        body.extend_from_slice(&(token.len() as u32).to_le_bytes());
        body.extend_from_slice(&token);
        let mut d = Details::default();
        decode(467, &mut Ua::new(&body, 0), &mut d).expect("valid");
        assert_eq!(d.request_handle, Some(7));
        assert_eq!(
            (d.identity_token, d.user_name.as_str()),
            (Some(324), "operator")
        );
        assert_eq!(d.password_encrypted, Some(false));
    }

    #[test]
    fn reads_the_nodes_of_a_read_and_the_value_of_a_write() {
        let mut read = request_header(1);
        read.extend_from_slice(&[0; 8]); // MaxAge
        read.extend_from_slice(&[2, 0, 0, 0]); // TimestampsToReturn: both
        read.extend_from_slice(&[1, 0, 0, 0]); // one ReadValueId
        read.extend_from_slice(&[0x01, 0x02, 0x10, 0x00]); // ns=2;i=16
        read.extend_from_slice(&[13, 0, 0, 0]); // AttributeId: Value
        read.extend_from_slice(&[0xff; 4]); // IndexRange: null
        read.extend_from_slice(&[0, 0, 0xff, 0xff, 0xff, 0xff]); // DataEncoding: null
        let mut d = Details::default();
        decode(631, &mut Ua::new(&read, 0), &mut d).expect("valid");
        assert_eq!(d.nodes.items(), vec!["ns=2;i=16"]);
        let mut write = request_header(2);
        write.extend_from_slice(&[1, 0, 0, 0]); // one WriteValue
        write.extend_from_slice(&[0x00, 0x55]); // i=85
        write.extend_from_slice(&[13, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]); // Value, no range
        write.extend_from_slice(&[0x01, 0x06, 0x2a, 0, 0, 0]); // DataValue: Int32 42
        d.clear();
        decode(673, &mut Ua::new(&write, 0), &mut d).expect("valid");
        assert_eq!((d.nodes.items(), d.value.as_str()), (vec!["i=85"], "42"));
    }

    #[test]
    fn stops_at_a_truncated_body_keeping_what_was_read() {
        let mut body = request_header(9);
        body.extend_from_slice(&[0x05, 0, 0, 0, b'o', b'p']); // endpoint URL cut short
        let mut d = Details::default();
        let err = decode(428, &mut Ua::new(&body, 24), &mut d).expect_err("cut");
        assert!(matches!(
            err,
            OpcUaError::Truncated {
                field: "endpoint URL",
                ..
            }
        ));
        assert_eq!(d.request_handle, Some(9));
    }
}
