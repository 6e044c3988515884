//! Write a Rampart dissector as a WebAssembly plugin.
//!
//! A plugin is a `cdylib` crate built for `wasm32-unknown-unknown` that implements [`Plugin`]
//! (a manifest, a probe, a constructor of per-flow state) and [`Flow`] (feed, gap, close), and
//! calls [`export_plugin!`] once. While the host is inside `feed`, the flow reports what it
//! found through [`record`], [`identity`] and [`anomaly`]; the host checks every name against
//! the manifest and passes the events on exactly as a built-in dissector's. The contract is the
//! built-in one (`rampart_dissect::Dissector`): the host buffers unconsumed bytes, so `feed`
//! returns how many bytes it used and sees the rest again with what follows.
//!
//! Built for any other target (`cargo test` on the developer's machine), the same calls
//! collect printable lines in [`testing`], so a plugin's parser is unit-tested natively
//! without a WebAssembly host.
//!
//! The interface itself (exports, imports, numbers) is documented in the host crate,
//! `rampart_plugin::abi`, and in `docs/plugins.md`.

#![deny(unsafe_op_in_unsafe_fn)]

mod host;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

#[doc(hidden)]
pub use host::{buffer_at, with_input};

/// The version of the interface this SDK speaks.
pub const ABI_VERSION: i32 = 1;

/// Which way a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client (initiator, master) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

impl Direction {
    #[doc(hidden)]
    pub fn from_abi(code: i32) -> Direction {
        if code == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        }
    }
}

/// The transport of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A reassembled TCP stream per direction.
    Tcp,
    /// UDP datagrams, one `feed` each.
    Udp,
}

impl Transport {
    #[doc(hidden)]
    pub fn from_abi(code: i32) -> Transport {
        if code == 0 {
            Transport::Tcp
        } else {
            Transport::Udp
        }
    }
}

/// What a probe thinks of the first bytes of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// Not this protocol.
    NotForUs,
    /// The signature comes later in the stream.
    NeedMore,
    /// Plausible: a port hint decides.
    Unsure,
    /// This protocol, whatever the port.
    Certain,
}

impl Probe {
    #[doc(hidden)]
    pub fn to_abi(self) -> i32 {
        match self {
            Probe::NotForUs => 0,
            Probe::NeedMore => 1,
            Probe::Unsure => 2,
            Probe::Certain => 3,
        }
    }
}

/// How a flow answers one `feed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// The first `n` bytes were used; the rest comes back with what follows.
    Consumed(usize),
    /// No message boundary found: the host discards the bytes.
    LostSync,
    /// Nothing more of interest in this flow.
    Done,
}

impl Feed {
    #[doc(hidden)]
    pub fn to_abi(self) -> i32 {
        match self {
            Feed::Consumed(n) => i32::try_from(n).unwrap_or(i32::MAX),
            Feed::LostSync => -1,
            Feed::Done => -2,
        }
    }
}

/// Which side of the flow an identity observation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The side that opened the flow.
    Client,
    /// The side that answered.
    Server,
}

/// A protocol, as a plugin declares and recognises it.
pub trait Plugin {
    /// The JSON manifest: `name`, `version`, `description`, `transports` (`tcp`, `udp`),
    /// `ports`, `records` (kinds), `fields`, `identity` (attribute names).
    const MANIFEST: &'static str;
    /// The per-flow state.
    type Flow: Flow;
    /// Say whether the first bytes seen in a direction are this protocol.
    fn probe(dir: Direction, data: &[u8]) -> Probe;
    /// Start a flow.
    fn open(transport: Transport) -> Self::Flow;
}

/// The parsing state of one flow.
pub trait Flow {
    /// Parse `data` travelling in `dir` (TCP: the bytes not consumed yet; UDP: one datagram).
    fn feed(&mut self, dir: Direction, data: &[u8]) -> Feed;
    /// Learn that `len` bytes in `dir` were lost.
    fn gap(&mut self, dir: Direction, len: u64) {
        let _ = (dir, len);
    }
    /// Learn that the flow ended.
    fn close(&mut self) {}
}

/// A record being built; it reaches the host when [`RecordBuilder::emit`] is called.
#[must_use = "a record is only reported by emit()"]
pub struct RecordBuilder(());

/// Start a record of `kind` (declared in the manifest) travelling in `dir`, or a paired
/// transaction when `dir` is `None`.
pub fn record(kind: &str, dir: Option<Direction>) -> RecordBuilder {
    let code = match dir {
        Some(Direction::ToServer) => 0,
        Some(Direction::ToClient) => 1,
        None => 2,
    };
    host::record(kind, code);
    RecordBuilder(())
}

impl RecordBuilder {
    /// Add a text field.
    pub fn str(self, name: &str, value: &str) -> Self {
        host::field_str(name, value.as_bytes());
        self
    }

    /// Add a bytes field (written as hex).
    pub fn bytes(self, name: &str, value: &[u8]) -> Self {
        host::field_bytes(name, value);
        self
    }

    /// Add a number field.
    pub fn u64(self, name: &str, value: u64) -> Self {
        host::field_u64(name, value);
        self
    }

    /// Add a signed number field.
    pub fn i64(self, name: &str, value: i64) -> Self {
        host::field_i64(name, value);
        self
    }

    /// Add a flag.
    pub fn bool(self, name: &str, value: bool) -> Self {
        host::field_bool(name, value);
        self
    }

    /// Say what the message does (`read`, `write`, `restart`, …: Rampart's activity names).
    pub fn action(self, name: &str) -> Self {
        host::action(name);
        self
    }

    /// Report the record.
    pub fn emit(self) {
        host::emit();
    }
}

/// Report that a side of the flow has `attribute` (declared in the manifest) = `value`, with
/// `confidence` 0–100 (90: the device said it of itself).
pub fn identity(subject: Subject, attribute: &str, value: &str, confidence: u8) {
    let subject = match subject {
        Subject::Client => 0,
        Subject::Server => 1,
    };
    host::identity(subject, attribute, value, i32::from(confidence));
}

/// Report malformed input: a stable snake_case `code`, the byte offset when known, a detail
/// naming the field and the values.
pub fn anomaly(code: &str, offset: Option<usize>, detail: &str) {
    let offset = offset.and_then(|o| i64::try_from(o).ok()).unwrap_or(-1);
    host::anomaly(code, offset, detail);
}

/// The flows of a plugin, by handle: what the exported functions index into.
#[doc(hidden)]
pub struct Flows<F> {
    slots: Vec<Option<F>>,
    free: Vec<usize>,
}

impl<F: Flow> Flows<F> {
    /// No flows yet.
    pub const fn new() -> Flows<F> {
        Flows {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Keep a new flow; return its handle.
    pub fn open(&mut self, flow: F) -> i32 {
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(flow);
                i
            }
            None => {
                self.slots.push(Some(flow));
                self.slots.len() - 1
            }
        };
        i32::try_from(slot).unwrap_or(-1)
    }

    /// Run `f` on the flow of `handle`, if it is open.
    pub fn with<R>(&mut self, handle: i32, f: impl FnOnce(&mut F) -> R) -> Option<R> {
        let slot = usize::try_from(handle).ok()?;
        self.slots.get_mut(slot)?.as_mut().map(f)
    }

    /// Close the flow of `handle` and free its slot.
    pub fn close(&mut self, handle: i32) {
        let Ok(slot) = usize::try_from(handle) else {
            return;
        };
        if let Some(mut flow) = self.slots.get_mut(slot).and_then(Option::take) {
            flow.close();
            self.free.push(slot);
        }
    }
}

impl<F: Flow> Default for Flows<F> {
    fn default() -> Self {
        Flows::new()
    }
}

/// Pack a string of the plugin's memory as `ptr << 32 | len`.
#[doc(hidden)]
pub fn pack(text: &'static str) -> i64 {
    let ptr = text.as_ptr() as usize as u64;
    ((ptr << 32) | (text.len() as u64 & 0xffff_ffff)) as i64
}

/// Export the interface for the plugin type `$plugin`: call it once in the plugin crate.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        const _: () = {
            use ::std::cell::RefCell;
            use $crate::{Direction, Flow, Flows, Plugin, Transport};

            type FlowOf = <$plugin as Plugin>::Flow;

            ::std::thread_local! {
                static FLOWS: RefCell<Flows<FlowOf>> = const { RefCell::new(Flows::new()) };
            }

            #[unsafe(no_mangle)]
            extern "C" fn rampart_abi_version() -> i32 {
                $crate::ABI_VERSION
            }

            #[unsafe(no_mangle)]
            extern "C" fn rampart_manifest() -> i64 {
                $crate::pack(<$plugin as Plugin>::MANIFEST)
            }

            #[unsafe(no_mangle)]
            extern "C" fn rampart_buffer(len: i32) -> i32 {
                $crate::buffer_at(len)
            }

            #[unsafe(no_mangle)]
            extern "C" fn rampart_probe(dir: i32, len: i32) -> i32 {
                $crate::with_input(len, |data| {
                    <$plugin as Plugin>::probe(Direction::from_abi(dir), data).to_abi()
                })
            }

            #[unsafe(no_mangle)]
            extern "C" fn rampart_open(transport: i32) -> i32 {
                let flow = <$plugin as Plugin>::open(Transport::from_abi(transport));
                FLOWS.with(|flows| flows.borrow_mut().open(flow))
            }

            #[unsafe(no_mangle)]
            extern "C" fn rampart_feed(handle: i32, dir: i32, len: i32) -> i32 {
                $crate::with_input(len, |data| {
                    FLOWS.with(|flows| {
                        flows
                            .borrow_mut()
                            .with(handle, |flow| {
                                flow.feed(Direction::from_abi(dir), data).to_abi()
                            })
                            .unwrap_or(-2)
                    })
                })
            }

            #[unsafe(no_mangle)]
            extern "C" fn rampart_gap(handle: i32, dir: i32, len: i64) {
                FLOWS.with(|flows| {
                    flows.borrow_mut().with(handle, |flow| {
                        flow.gap(Direction::from_abi(dir), u64::try_from(len).unwrap_or(0))
                    });
                });
            }

            #[unsafe(no_mangle)]
            extern "C" fn rampart_close(handle: i32) {
                FLOWS.with(|flows| flows.borrow_mut().close(handle));
            }
        };
    };
}
