//! Frame decoding for Rampart: link, network and transport headers of one captured frame,
//! plus bounded IP fragment reassembly.
//!
//! Pure tier: no I/O, no allocation per frame (reassembly allocates per fragmented datagram,
//! within a fixed budget). Everything is total on hostile input: a frame that cannot be
//! decoded yields what could be, and a [`DecodeProblem`] saying where and why.

#![forbid(unsafe_code)]

mod decode;
mod defrag;
mod fast;

pub use decode::{
    DecodeProblem, Decoded, Fragment, IpHeader, LinkTypeCode, Network, TcpHeader, Transport,
    decode, decode_transport, link, tcp_flags,
};
pub use defrag::{DefragLimits, DefragOutcome, DefragStats, Defragmenter};
