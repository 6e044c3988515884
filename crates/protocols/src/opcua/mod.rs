//! OPC UA binary over TCP (OPC 10000-6 §6.7 UA Secure Conversation, §7.1 UA TCP), port
//! 4840 by convention and recognised on any port by its message header: the client/server
//! protocol of industrial automation.
//!
//! The stream is a sequence of chunks, each an 8-byte header (`HEL`, `ACK`, `ERR`, `RHE`,
//! `OPN`, `MSG`, `CLO`; chunk type `F`, `C` or `A`; size). Records:
//! - `hello`, `acknowledge`: `message_type`, `chunk_type`, `message_size`,
//!   `protocol_version`, `receive_buffer_size`, `send_buffer_size`, `max_message_size`,
//!   `max_chunk_count`, `endpoint_url` (Hello).
//! - `error`: `status_code`, `status` (the StatusCode's symbol, `BadDecodingError`), `reason`.
//! - `reverse_hello`: `server_uri`, `endpoint_url`.
//! - `service`: a readable secure message: a request paired with its response by request
//!   handle (the response's type must answer the request's, or be a ServiceFault;
//!   `direction` none), an unanswered request at flow end or beyond `max_transactions`, a
//!   CloseSecureChannel (which has no response), or a response whose request was not seen.
//!   Fields: `message_type`, `chunk_type`, `secure_channel_id`, `token_id` (MSG, CLO), for
//!   OPN `security_policy_uri`, `security_policy` (`None`, `Basic256Sha256`…),
//!   `certificate_present`, `certificate_length`, `certificate_sha256` (the sender's
//!   certificate, by the digest TLS records use), `receiver_thumbprint`; `sequence_number`, `request_id`,
//!   `encrypted` (false), `service` (`read`, `create_session`, …, `service_fault`),
//!   `service_type_id` (the body's binary encoding id), `request_handle`; from the request
//!   `request_type` (issue/renew), `security_mode` (none/sign/sign_and_encrypt),
//!   `requested_lifetime`, `endpoint_url`, `session_name`, `client_application_uri`,
//!   `client_product_uri`, `client_application_name` (CreateSession), `identity_token`
//!   (anonymous/username/x509/issued), `user_name`, `password_encrypted` (ActivateSession),
//!   `node_id` (the first node read, written, browsed or called) and `node_count`, `value`
//!   (the first value written); from the response `response_message_type`,
//!   `response_service`, `response_type_id`, `service_result`, `service_result_name`,
//!   `issued_channel_id`, `issued_token_id`, `revised_lifetime`, `application_uris`,
//!   `product_uris`, `application_names` (GetEndpoints, FindServers, CreateSession),
//!   `endpoint_count`, `offered_security_policies`.
//! - `chunk`: a chunk after the first of a message sent in several (`secure_channel_id`,
//!   `sequence_number`, `request_id`); the message's record comes from its first chunk.
//! - `encrypted`: a secure chunk whose body cannot be read (OPN under a security policy
//!   other than None, MSG/CLO of a SignAndEncrypt channel): the headers and `encrypted`
//!   true. Whether a channel is readable follows from its OpenSecureChannel; for a channel
//!   opened before the capture, a body that starts with a known service type is readable.
//!
//! Activities (by the request): Read, HistoryRead, Browse, BrowseNext, TranslateBrowsePaths,
//! RegisterNodes, Query → read (browsing reads the server's address space, its tag list,
//! without changing it); Write, HistoryUpdate → write; Call → command; CreateSession,
//! CloseSession → session; ActivateSession → authentication; GetEndpoints, FindServers →
//! identify; subscriptions, monitored items, Publish → monitor; AddNodes, DeleteNodes,
//! Add/DeleteReferences, RegisterServer → config_change.
//!
//! Identity: the first application description of a GetEndpoints or CreateSession response
//! (or of a FindServers response naming one server) identifies the server: product URI as
//! software, application name as model, device type `opc server` (`opc discovery server`);
//! a CreateSession request's client description identifies the client the same way. A
//! UserNameIdentityToken in an ActivateSession over a channel whose policy is None is a
//! `cleartext_credential` finding (`mechanism` `opcua_username`, `user`,
//! `password_encrypted`, `security_policy`), never the password, once per flow and user.
//!
//! Anomalies: `truncated`, `bad_length`, `bad_node_id`, `bad_variant`, `nesting_too_deep`,
//! `bad_chunk_type`, `bad_header` (then the stream is searched for the next header),
//! `message_too_large` (a chunk beyond the receive buffer or max message size its receiver
//! announced), `unknown_service`, `too_many_transactions`.
//!
//! Written by hand: the Rust OPC UA crates are client/server stacks that decode complete,
//! well-formed messages into owned structures; a monitor needs lax, bounded reading of
//! whatever a chunk holds, with located errors and no allocation per message.

mod dissector;
mod message;
mod parse;
mod service;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The OPC UA binary flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "opcua",
    transports: &[Transport::Tcp],
    ports: &[4840],
    probe,
    new: |_| Box::new(dissector::OpcUaDissector::new(64)),
    limits: Limits {
        // Chunks of 64 KiB are common; a few in one delivery must fit.
        max_message: 256 * 1024,
        max_transactions: 64,
        ..Limits::OT
    },
};

/// Recognise a message header: a known type, a chunk type and a plausible size. A Hello
/// opens every connection, so the size must also cover the Hello's fixed fields.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    if data.len() < parse::HEADER_LEN {
        let prefix_matches = [b"HEL", b"ACK", b"OPN", b"MSG", b"ERR", b"CLO", b"RHE"]
            .iter()
            .any(|t| t.starts_with(data) || data.starts_with(&t[..]));
        return if prefix_matches && !data.is_empty() {
            Probe::Unsure
        } else {
            Probe::NotForUs
        };
    }
    match parse::header(data) {
        Ok(Some(h)) if h.size >= 8 && h.size <= 16 * 1024 * 1024 => Probe::Certain,
        _ => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_the_message_header() {
        let d = Direction::ToServer;
        assert_eq!(probe(d, b"HELF\x39\0\0\0\0\0\0\0"), Probe::Certain);
        assert_eq!(probe(d, b"MSGF\x10\0\0\0"), Probe::Certain);
        assert_eq!(probe(d, b"HELF\x04\0\0\0"), Probe::NotForUs);
        assert_eq!(probe(d, b"HELX\x39\0\0\0"), Probe::NotForUs);
        assert_eq!(probe(d, b"HEL"), Probe::Unsure);
        assert_eq!(probe(d, b"GET / HTTP/1.1\r\n"), Probe::NotForUs);
        assert_eq!(probe(d, b""), Probe::NotForUs);
    }
}
