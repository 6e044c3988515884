//! Flows for Rampart: the bidirectional flow table and TCP stream reassembly.
//!
//! Domain tier: stateful, synchronous, no I/O. The table is generic over the caller's
//! per-flow state so that this crate knows nothing of dissectors or devices; the engine
//! keeps its protocol sessions there.

#![forbid(unsafe_code)]

mod reassembly;
mod table;

pub use reassembly::{Delivery, Stream, StreamStats};
pub use table::{
    CloseReason, Endpoint, Flow, FlowConfig, FlowKey, FlowTable, PacketKey, TableStats, TcpTrack,
    side,
};
