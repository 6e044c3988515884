//! IEC 61850 GOOSE (Generic Object Oriented Substation Event, IEC 61850-8-1 Annex C),
//! EtherType 0x88b8: how protection relays and bay controllers publish state changes (trips,
//! interlocks, breaker positions) to each other as multicast frames, repeated with growing
//! intervals. The engine strips 802.1Q tags (GOOSE is usually VLAN-tagged with priority 4).
//!
//! Owns the GOOSE frame: the header (APPID, length, reserved 1 with the Edition 2 simulation
//! bit, reserved 2) and the goosePdu, read with [`crate::ber`]. One record per frame, kind
//! `goose` (no direction), with fields `appid`, `length`, `reserved1`, `reserved2`,
//! `simulation` (reserved 1 bit 15), `gocb_ref`, `dat_set`, `go_id`, `t` (RFC 3339 UTC, when
//! `st_num` last changed) with `time_quality`, `time_allowed_to_live` (ms), `st_num`,
//! `sq_num`, `conf_rev`, `num_dat_set_entries`, `all_data_count`, `test` (the goosePdu's
//! simulation/test flag), `nds_com`, `all_data_types` (the MMS `Data` type of each top-level
//! dataset entry, at most 64) and `security`. State and sequence numbers are kept raw for the
//! detection engine, which sees the frames in order and judges jumps and replays.
//!
//! Identity: the sender is a `goose publisher` (role, stated) and a device of type `ied`.
//! Anomalies: `truncated` (header), `length_mismatch` (length field against the frame or the
//! goosePdu), `entries_mismatch` (numDatSetEntries against allData), `missing_field`,
//! `data_too_deep` (allData nested beyond 16 levels), and the BER codes `ber_truncated`,
//! `ber_bad_length`, `ber_bad_tag`, `ber_unexpected_tag`.
//!
//! Written by hand for the reasons of [`crate::mms`], whose `Data` encoding GOOSE reuses: no
//! crate reads it leniently, boundedly and without allocating per frame.

mod dissector;
mod message;
mod parse;

use rampart_dissect::{FrameMatch, FrameRegistration};

const PROTOCOL: &str = "goose";

/// The GOOSE link-layer protocol.
pub static FRAME_REGISTRATION: FrameRegistration = FrameRegistration {
    name: PROTOCOL,
    matches: &[FrameMatch::EtherType(0x88b8)],
    dissect: dissector::dissect,
};
