//! The host–guest interface, version [`crate::ABI_VERSION`]: the numbers both sides agree on
//! and the host functions a plugin may import.
//!
//! A plugin exports `memory` and:
//!
//! | export | signature | does |
//! |---|---|---|
//! | `rampart_abi_version` | `() -> i32` | the interface version it speaks (1) |
//! | `rampart_manifest` | `() -> i64` | its JSON manifest, as `ptr << 32 \| len` in its memory |
//! | `rampart_buffer` | `(len: i32) -> i32` | where the host may write `len` input bytes |
//! | `rampart_probe` | `(dir: i32, len: i32) -> i32` | verdict on the `len` bytes in the buffer: 0 not for us, 1 need more, 2 unsure, 3 certain |
//! | `rampart_open` | `(transport: i32) -> i32` | a new flow (0 TCP, 1 UDP); its handle, or a negative refusal |
//! | `rampart_feed` | `(flow: i32, dir: i32, len: i32) -> i32` | parse the buffer; bytes consumed, or -1 lost sync, -2 done |
//! | `rampart_gap` | `(flow: i32, dir: i32, len: i64)` | `len` bytes were lost in `dir` |
//! | `rampart_close` | `(flow: i32)` | the flow ended: report what is pending, free the state |
//!
//! `dir` is 0 for client → server, 1 for server → client. While the host is inside one of
//! these calls, the plugin reports through the imports of module `rampart` (every name and
//! value a `ptr, len` pair in its memory): `record(kind, direction)` opens a record
//! (direction 0 request, 1 response, 2 transaction), `field_str`, `field_bytes`,
//! `field_u64`, `field_i64`, `field_bool` add fields, `action(name)` says what it does
//! (an activity name: `read`, `write`, `plc_stop`, …), `emit()` closes it;
//! `identity(subject, attribute, value, confidence)` (subject 0 client, 1 server) and
//! `anomaly(code, offset, detail)` (offset -1 when unknown) stand alone.
//!
//! A pointer or length outside the plugin's memory ends the call with a trap, and the plugin
//! is disabled: the host never reads past what the guest owns.

use rampart_dissect::Direction;
use wasmi::{Caller, Error, Linker};

use crate::HostState;
use crate::output::Output;

/// `rampart_probe`: not this protocol.
pub const PROBE_NOT_FOR_US: i32 = 0;
/// `rampart_probe`: the signature comes later.
pub const PROBE_NEED_MORE: i32 = 1;
/// `rampart_probe`: plausible, let the port decide.
pub const PROBE_UNSURE: i32 = 2;
/// `rampart_probe`: this protocol.
pub const PROBE_CERTAIN: i32 = 3;
/// `rampart_feed`: no message boundary found; the host discards the bytes.
pub const FEED_LOST_SYNC: i32 = -1;
/// `rampart_feed`: nothing more of interest in this flow.
pub const FEED_DONE: i32 = -2;
/// `rampart_open`: a TCP flow.
pub const TRANSPORT_TCP: i32 = 0;
/// `rampart_open`: a UDP flow.
pub const TRANSPORT_UDP: i32 = 1;

/// The direction as the interface numbers it.
pub fn direction(dir: Direction) -> i32 {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

/// Split a `ptr << 32 | len` pair.
pub fn unpack(packed: i64) -> (usize, usize) {
    let bits = packed as u64;
    ((bits >> 32) as usize, (bits & 0xffff_ffff) as usize)
}

/// The guest's memory and the call's outputs, borrowed together so host functions read guest
/// bytes in place: no copy, no allocation per field.
fn split<'a>(c: &'a mut Caller<'_, HostState>) -> Result<(&'a [u8], &'a mut Output), Error> {
    let memory = c
        .data()
        .memory
        .ok_or_else(|| Error::new("the plugin has no memory"))?;
    let (bytes, state) = memory.data_and_store_mut(c);
    Ok((bytes, &mut state.output))
}

/// The guest bytes at `ptr, len`, or a trap when they are not all the guest's own.
fn span<'a>(memory: &'a [u8], ptr: i32, len: i32, what: &str) -> Result<&'a [u8], Error> {
    let (Ok(start), Ok(len)) = (usize::try_from(ptr), usize::try_from(len)) else {
        return Err(Error::new(format!(
            "{what}: negative pointer or length ({ptr}, {len})"
        )));
    };
    memory.get(start..start.saturating_add(len)).ok_or_else(|| {
        Error::new(format!(
            "{what}: {len} bytes at {start} lie outside its memory"
        ))
    })
}

/// Define the host functions of module `rampart`.
pub(crate) fn link(linker: &mut Linker<HostState>) -> Result<(), wasmi::errors::LinkerError> {
    linker.func_wrap(
        "rampart",
        "record",
        |mut c: Caller<'_, HostState>,
         kind: i32,
         kind_len: i32,
         direction: i32|
         -> Result<(), Error> {
            let (memory, out) = split(&mut c)?;
            out.record(span(memory, kind, kind_len, "record kind")?, direction);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "rampart",
        "field_str",
        |mut c: Caller<'_, HostState>, n: i32, nl: i32, v: i32, vl: i32| -> Result<(), Error> {
            let (memory, out) = split(&mut c)?;
            out.field_str(
                span(memory, n, nl, "field name")?,
                span(memory, v, vl, "field value")?,
            );
            Ok(())
        },
    )?;
    linker.func_wrap(
        "rampart",
        "field_bytes",
        |mut c: Caller<'_, HostState>, n: i32, nl: i32, v: i32, vl: i32| -> Result<(), Error> {
            let (memory, out) = split(&mut c)?;
            out.field_bytes(
                span(memory, n, nl, "field name")?,
                span(memory, v, vl, "field value")?,
            );
            Ok(())
        },
    )?;
    linker.func_wrap(
        "rampart",
        "field_u64",
        |mut c: Caller<'_, HostState>, n: i32, nl: i32, v: i64| -> Result<(), Error> {
            let (memory, out) = split(&mut c)?;
            out.field_u64(span(memory, n, nl, "field name")?, v as u64);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "rampart",
        "field_i64",
        |mut c: Caller<'_, HostState>, n: i32, nl: i32, v: i64| -> Result<(), Error> {
            let (memory, out) = split(&mut c)?;
            out.field_i64(span(memory, n, nl, "field name")?, v);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "rampart",
        "field_bool",
        |mut c: Caller<'_, HostState>, n: i32, nl: i32, v: i32| -> Result<(), Error> {
            let (memory, out) = split(&mut c)?;
            out.field_bool(span(memory, n, nl, "field name")?, v != 0);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "rampart",
        "action",
        |mut c: Caller<'_, HostState>, n: i32, nl: i32| -> Result<(), Error> {
            let (memory, out) = split(&mut c)?;
            out.action(span(memory, n, nl, "action")?);
            Ok(())
        },
    )?;
    linker.func_wrap("rampart", "emit", |mut c: Caller<'_, HostState>| {
        c.data_mut().output.emit();
    })?;
    linker.func_wrap(
        "rampart",
        "identity",
        |mut c: Caller<'_, HostState>,
         subject: i32,
         a: i32,
         al: i32,
         v: i32,
         vl: i32,
         confidence: i32|
         -> Result<(), Error> {
            let (memory, out) = split(&mut c)?;
            let attribute = span(memory, a, al, "attribute")?;
            out.identity(
                subject,
                attribute,
                span(memory, v, vl, "value")?,
                confidence,
            );
            Ok(())
        },
    )?;
    linker.func_wrap(
        "rampart",
        "anomaly",
        |mut c: Caller<'_, HostState>,
         code: i32,
         code_len: i32,
         offset: i64,
         detail: i32,
         detail_len: i32|
         -> Result<(), Error> {
            let (memory, out) = split(&mut c)?;
            let code = span(memory, code, code_len, "anomaly code")?;
            out.anomaly(
                code,
                offset,
                span(memory, detail, detail_len, "anomaly detail")?,
            );
            Ok(())
        },
    )?;
    Ok(())
}
