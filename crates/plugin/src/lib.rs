//! Third-party dissectors loaded at run time as sandboxed WebAssembly modules.
//!
//! A plugin is one `.wasm` file that declares itself in a JSON manifest (name, transports,
//! ports, the record kinds, fields and identity attributes it emits) and implements the same
//! contract as a built-in dissector: a probe over the first bytes of a flow, then per-flow
//! `feed`, `gap` and `close`. The host, this crate, turns it into a
//! [`rampart_dissect::FlowProtocol`], so the engine probes, feeds, bounds and counts it exactly
//! like the built-in protocols; the guest side of the interface is the `rampart-plugin-sdk`
//! crate in `plugins/` (see `docs/plugins.md` for the interface and a worked example).
//!
//! The sandbox: a plugin sees only its own linear memory and the host functions listed in
//! [`abi`]; its memory is capped ([`Limits::memory`]); every call runs on a fuel budget
//! ([`Limits::fuel_per_call`]), so a loop ends in a trap instead of a hung sensor; every
//! string it passes is bounds-checked against its memory and every name against its manifest.
//! A plugin that traps, runs out of fuel or memory, or breaks the interface is disabled with
//! a logged reason that the run summary repeats, and the sensor goes on without it: its flows
//! are left undissected. Its counters (flows, chunks, bytes, records, anomalies, errors) are
//! reported per run.
//!
//! The interpreter is `wasmi`, a well-kept pure-Rust WebAssembly interpreter with fuel metering
//! and resource limits. `wasmtime` was the alternative: faster per call thanks to its compiler,
//! but it roughly quadruples the build (Cranelift) for a path that, by design, carries only the
//! protocols nobody has built in, and its native code generation is more to trust than an
//! interpreter with the same isolation.
//!
//! One instance serves every flow of a plugin (the guest keeps per-flow state by handle), so a
//! plugin costs one linear memory, not one per flow; the instance is behind a mutex because a
//! [`rampart_dissect::FlowProtocol`] is shared.

#![forbid(unsafe_code)]

pub mod abi;
mod manifest;
mod output;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rampart_dissect::{
    Direction, Dissector, EventSink, Feed, FlowProtocol, Limits as SeamLimits, PluginReport, Probe,
    Transport,
};
use wasmi::{
    Config, Engine, Instance, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder,
    TypedFunc,
};

pub use manifest::{ABI_VERSION, Manifest, ManifestError};
use output::{Declared, Output};

/// What the host allows a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest linear memory, in bytes.
    pub memory: usize,
    /// Fuel (roughly, WebAssembly instructions) per call into the plugin.
    pub fuel_per_call: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory: 32 << 20,
            fuel_per_call: 20_000_000,
        }
    }
}

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not a valid WebAssembly module, or one that cannot be instantiated here.
    #[error("{path}: not a loadable WebAssembly module: {detail}")]
    Module {
        /// The file.
        path: PathBuf,
        /// The interpreter's words.
        detail: String,
    },
    /// An export the interface requires is missing or has the wrong type.
    #[error("{path}: export {export} missing or of the wrong type: {detail}")]
    Export {
        /// The file.
        path: PathBuf,
        /// Which export.
        export: &'static str,
        /// The interpreter's words.
        detail: String,
    },
    /// The plugin speaks another version of the interface.
    #[error("{path}: interface version {found}, this host speaks {ABI_VERSION}")]
    Abi {
        /// The file.
        path: PathBuf,
        /// What it said.
        found: i32,
    },
    /// The manifest is wrong.
    #[error("{path}: {source}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// Why.
        source: ManifestError,
    },
    /// The plugin failed while describing itself.
    #[error("{path}: failed while loading: {detail}")]
    Trap {
        /// The file.
        path: PathBuf,
        /// What happened.
        detail: String,
    },
    /// Its name is taken by a built-in protocol or another plugin.
    #[error("{path}: protocol name {name:?} is already taken")]
    NameTaken {
        /// The file.
        path: PathBuf,
        /// The name.
        name: String,
    },
}

/// What the host functions see: the limits and the outputs of the current call.
struct HostState {
    limits: StoreLimits,
    output: Output,
    memory: Option<Memory>,
}

/// The plugin's exports, typed.
struct Exports {
    buffer: TypedFunc<i32, i32>,
    probe: TypedFunc<(i32, i32), i32>,
    open: TypedFunc<i32, i32>,
    feed: TypedFunc<(i32, i32, i32), i32>,
    gap: TypedFunc<(i32, i32, i64), ()>,
    close: TypedFunc<i32, ()>,
}

/// A loaded plugin's instance and counters, behind the plugin's mutex.
struct Running {
    store: Store<HostState>,
    exports: Exports,
    memory: Memory,
    fuel: u64,
    report: PluginReport,
}

/// A plugin, ready to be registered with the engine.
pub struct Plugin {
    name: &'static str,
    transports: Vec<Transport>,
    ports: Vec<u16>,
    running: Arc<Mutex<Running>>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin").field("name", &self.name).finish()
    }
}

/// The result of calling into the plugin: a value, or the reason it must be disabled.
type Called<T> = Result<T, String>;

impl Running {
    fn disabled(&self) -> bool {
        self.report.disabled.is_some()
    }

    /// Disable the plugin for the rest of the run, once, saying why.
    fn disable(&mut self, name: &str, what: &str, reason: String) {
        self.report.errors += 1;
        if self.report.disabled.is_none() {
            tracing::warn!(plugin = name, call = what, reason = %reason, "Plugin disabled; the sensor goes on without it.");
            self.report.disabled = Some(format!("{what}: {reason}"));
        }
    }

    /// Give the next call its fuel.
    fn refuel(&mut self) -> Called<()> {
        self.store.set_fuel(self.fuel).map_err(|e| e.to_string())
    }

    /// Copy `data` into the plugin's input buffer; return its length as the guest sees it.
    fn put(&mut self, data: &[u8]) -> Called<i32> {
        let len = i32::try_from(data.len()).map_err(|_| "input larger than 2 GiB".to_string())?;
        self.refuel()?;
        let at = self
            .exports
            .buffer
            .call(&mut self.store, len)
            .map_err(|e| describe_trap(&e, self.fuel))?;
        let at = usize::try_from(at).map_err(|_| format!("rampart_buffer returned {at}"))?;
        self.memory.write(&mut self.store, at, data).map_err(|_| {
            format!("rampart_buffer returned {at}, outside its memory for {len} bytes")
        })?;
        Ok(len)
    }

    fn probe(&mut self, dir: Direction, data: &[u8]) -> Called<Probe> {
        let len = self.put(data)?;
        self.refuel()?;
        let verdict = self
            .exports
            .probe
            .call(&mut self.store, (abi::direction(dir), len))
            .map_err(|e| describe_trap(&e, self.fuel))?;
        Ok(match verdict {
            abi::PROBE_CERTAIN => Probe::Certain,
            abi::PROBE_UNSURE => Probe::Unsure,
            abi::PROBE_NEED_MORE => Probe::NeedMore,
            _ => Probe::NotForUs,
        })
    }

    fn open(&mut self, transport: Transport) -> Called<i32> {
        self.refuel()?;
        let code = match transport {
            Transport::Tcp => abi::TRANSPORT_TCP,
            Transport::Udp => abi::TRANSPORT_UDP,
        };
        let handle = self
            .exports
            .open
            .call(&mut self.store, code)
            .map_err(|e| describe_trap(&e, self.fuel))?;
        if handle < 0 {
            return Err(format!("rampart_open refused the flow ({handle})"));
        }
        self.report.flows += 1;
        Ok(handle)
    }

    fn feed(&mut self, handle: i32, dir: Direction, data: &[u8]) -> Called<i32> {
        let len = self.put(data)?;
        self.refuel()?;
        self.report.packets += 1;
        self.report.bytes += data.len() as u64;
        let answer = self
            .exports
            .feed
            .call(&mut self.store, (handle, abi::direction(dir), len))
            .map_err(|e| describe_trap(&e, self.fuel))?;
        if answer > len {
            return Err(format!("rampart_feed consumed {answer} of {len} bytes"));
        }
        Ok(answer)
    }

    fn gap(&mut self, handle: i32, dir: Direction, len: u64) -> Called<()> {
        self.refuel()?;
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        self.exports
            .gap
            .call(&mut self.store, (handle, abi::direction(dir), len))
            .map_err(|e| describe_trap(&e, self.fuel))
    }

    fn close(&mut self, handle: i32) -> Called<()> {
        self.refuel()?;
        self.exports
            .close
            .call(&mut self.store, handle)
            .map_err(|e| describe_trap(&e, self.fuel))
    }

    /// Pass what the last call said on to `sink` and count it.
    fn flush(&mut self, sink: &mut dyn EventSink) {
        let output = &self.store.data().output;
        let (records, anomalies) = output.flush(sink);
        self.report.records += records;
        self.report.anomalies += anomalies;
        self.store.data_mut().output.clear();
    }
}

/// Say what went wrong in a call, in words an operator can act on.
fn describe_trap(error: &wasmi::Error, fuel: u64) -> String {
    match error.as_trap_code() {
        Some(wasmi::TrapCode::OutOfFuel) => {
            format!("ran out of fuel ({fuel} units in one call): it loops or works too hard")
        }
        Some(wasmi::TrapCode::GrowthOperationLimited) => "exceeded its memory limit".to_string(),
        Some(code) => format!("trapped: {code}"),
        None => error.to_string(),
    }
}

impl Plugin {
    /// Load the plugin at `path` with `limits`; `taken` are the protocol names already in use.
    pub fn load(path: &Path, limits: Limits, taken: &[&str]) -> Result<Plugin, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Plugin::from_bytes(path, &bytes, limits, taken)
    }

    /// Load a plugin from its bytes; `path` names it in messages and reports.
    pub fn from_bytes(
        path: &Path,
        bytes: &[u8],
        limits: Limits,
        taken: &[&str],
    ) -> Result<Plugin, LoadError> {
        let at = || path.to_path_buf();
        let module_error = |e: wasmi::Error| LoadError::Module {
            path: at(),
            detail: e.to_string(),
        };
        let mut config = Config::default();
        config.consume_fuel(true);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, bytes).map_err(module_error)?;
        let state = HostState {
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory)
                .memories(1)
                .instances(1)
                .tables(4)
                .table_elements(65_536)
                .build(),
            output: Output::new(Declared {
                protocol: "plugin",
                records: Vec::new(),
                fields: Vec::new(),
                identity: Vec::new(),
            }),
            memory: None,
        };
        let mut store = Store::new(&engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_fuel(limits.fuel_per_call).map_err(module_error)?;
        let mut linker = Linker::new(&engine);
        abi::link(&mut linker).map_err(|e| LoadError::Module {
            path: at(),
            detail: e.to_string(),
        })?;
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| LoadError::Trap {
                path: at(),
                detail: describe_trap(&e, limits.fuel_per_call),
            })?;
        let memory = instance
            .get_memory(&store, "memory")
            .ok_or_else(|| LoadError::Export {
                path: at(),
                export: "memory",
                detail: "no memory exported".to_string(),
            })?;
        store.data_mut().memory = Some(memory);
        let checked = describe(path, &instance, &mut store, memory, limits.fuel_per_call)?;
        let manifest = &checked.manifest;
        if taken.contains(&manifest.name.as_str()) {
            return Err(LoadError::NameTaken {
                path: at(),
                name: manifest.name.clone(),
            });
        }
        let leak = |s: &String| -> &'static str { Box::leak(s.clone().into_boxed_str()) };
        let name = leak(&manifest.name);
        store.data_mut().output = Output::new(Declared {
            protocol: name,
            records: manifest.records.iter().map(leak).collect(),
            fields: manifest.fields.iter().map(leak).collect(),
            identity: checked.identity.clone(),
        });
        let exports = exports(path, &instance, &store)?;
        Ok(Plugin {
            name,
            transports: checked.transports.clone(),
            ports: manifest.ports.clone(),
            running: Arc::new(Mutex::new(Running {
                store,
                exports,
                memory,
                fuel: limits.fuel_per_call,
                report: PluginReport {
                    name: manifest.name.clone(),
                    version: manifest.version.clone(),
                    source: path.display().to_string(),
                    ..PluginReport::default()
                },
            })),
        })
    }

    /// Register the plugin for the rest of the process: the engine's registry holds
    /// protocols for `'static`, and a plugin is loaded once per run.
    pub fn leak(self) -> &'static Plugin {
        Box::leak(Box::new(self))
    }

    fn running(&self) -> MutexGuard<'_, Running> {
        lock(&self.running)
    }
}

/// Lock a plugin's instance. A panic while the lock was held cannot leave the guest's state
/// half-written for the host (the next call refuels and starts afresh), so a poisoned lock is
/// still usable.
fn lock(running: &Mutex<Running>) -> MutexGuard<'_, Running> {
    running.lock().unwrap_or_else(|e| e.into_inner())
}

/// Read and check the manifest a module exports.
fn describe(
    path: &Path,
    instance: &Instance,
    store: &mut Store<HostState>,
    memory: Memory,
    fuel: u64,
) -> Result<manifest::Checked, LoadError> {
    let at = || path.to_path_buf();
    let abi_version: TypedFunc<(), i32> = typed(path, instance, store, "rampart_abi_version")?;
    let found = abi_version
        .call(&mut *store, ())
        .map_err(|e| LoadError::Trap {
            path: at(),
            detail: describe_trap(&e, fuel),
        })?;
    if found != ABI_VERSION {
        return Err(LoadError::Abi { path: at(), found });
    }
    let manifest: TypedFunc<(), i64> = typed(path, instance, store, "rampart_manifest")?;
    let packed = manifest
        .call(&mut *store, ())
        .map_err(|e| LoadError::Trap {
            path: at(),
            detail: describe_trap(&e, fuel),
        })?;
    let (ptr, len) = abi::unpack(packed);
    let text = memory
        .data(&*store)
        .get(ptr..ptr.saturating_add(len))
        .ok_or_else(|| LoadError::Manifest {
            path: at(),
            source: ManifestError::Json(format!("{len} bytes at {ptr} lie outside its memory")),
        })?;
    Manifest::parse(text).map_err(|source| LoadError::Manifest { path: at(), source })
}

fn typed<P: wasmi::WasmParams, R: wasmi::WasmResults>(
    path: &Path,
    instance: &Instance,
    store: &Store<HostState>,
    name: &'static str,
) -> Result<TypedFunc<P, R>, LoadError> {
    instance
        .get_typed_func::<P, R>(store, name)
        .map_err(|e| LoadError::Export {
            path: path.to_path_buf(),
            export: name,
            detail: e.to_string(),
        })
}

fn exports(
    path: &Path,
    instance: &Instance,
    store: &Store<HostState>,
) -> Result<Exports, LoadError> {
    Ok(Exports {
        buffer: typed(path, instance, store, "rampart_buffer")?,
        probe: typed(path, instance, store, "rampart_probe")?,
        open: typed(path, instance, store, "rampart_open")?,
        feed: typed(path, instance, store, "rampart_feed")?,
        gap: typed(path, instance, store, "rampart_gap")?,
        close: typed(path, instance, store, "rampart_close")?,
    })
}

impl FlowProtocol for Plugin {
    fn name(&self) -> &'static str {
        self.name
    }

    fn transports(&self) -> &[Transport] {
        &self.transports
    }

    fn ports(&self) -> &[u16] {
        &self.ports
    }

    fn probe(&self, dir: Direction, data: &[u8]) -> Probe {
        let mut running = self.running();
        if running.disabled() {
            return Probe::NotForUs;
        }
        match running.probe(dir, data) {
            Ok(verdict) => {
                // A probe reports nothing: its outputs are not for any flow yet.
                running.store.data_mut().output.clear();
                verdict
            }
            Err(reason) => {
                running.disable(self.name, "rampart_probe", reason);
                Probe::NotForUs
            }
        }
    }

    fn start(&self, transport: Transport) -> Box<dyn Dissector> {
        let mut running = self.running();
        let handle = if running.disabled() {
            None
        } else {
            match running.open(transport) {
                Ok(h) => Some(h),
                Err(reason) => {
                    running.disable(self.name, "rampart_open", reason);
                    None
                }
            }
        };
        Box::new(PluginDissector {
            name: self.name,
            running: Arc::clone(&self.running),
            handle,
        })
    }

    fn limits(&self) -> SeamLimits {
        SeamLimits::OT
    }

    fn plugin_report(&self) -> Option<PluginReport> {
        Some(self.running().report.clone())
    }
}

/// One flow of a plugin: the guest's handle for it, or `None` once the plugin is disabled.
struct PluginDissector {
    name: &'static str,
    running: Arc<Mutex<Running>>,
    handle: Option<i32>,
}

impl Dissector for PluginDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let Some(handle) = self.handle else {
            return Feed::Done;
        };
        let mut running = lock(&self.running);
        if running.disabled() {
            self.handle = None;
            return Feed::Done;
        }
        match running.feed(handle, dir, data) {
            Ok(answer) => {
                running.flush(sink);
                match answer {
                    abi::FEED_LOST_SYNC => Feed::LostSync,
                    abi::FEED_DONE => Feed::Done,
                    n => Feed::Consumed(usize::try_from(n).unwrap_or(data.len())),
                }
            }
            Err(reason) => {
                running.store.data_mut().output.clear();
                running.disable(self.name, "rampart_feed", reason);
                self.handle = None;
                Feed::Done
            }
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        let Some(handle) = self.handle else {
            return;
        };
        let mut running = lock(&self.running);
        if running.disabled() {
            return;
        }
        match running.gap(handle, dir, len) {
            Ok(()) => running.flush(sink),
            Err(reason) => running.disable(self.name, "rampart_gap", reason),
        }
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        let Some(handle) = self.handle.take() else {
            return;
        };
        let mut running = lock(&self.running);
        if running.disabled() {
            return;
        }
        match running.close(handle) {
            Ok(()) => running.flush(sink),
            Err(reason) => running.disable(self.name, "rampart_close", reason),
        }
    }
}

/// Load every plugin at `paths` (files, or directories whose `*.wasm` files are loaded in
/// name order), refusing names already `taken`; each is leaked for the run.
pub fn load_all(
    paths: &[PathBuf],
    limits: Limits,
    taken: &[&str],
) -> Result<Vec<&'static Plugin>, LoadError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| LoadError::Read {
                    path: path.clone(),
                    source,
                })?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut names: Vec<&str> = taken.to_vec();
    let mut loaded = Vec::new();
    for file in &files {
        let plugin = Plugin::load(file, limits, &names)?.leak();
        names.push(plugin.name);
        loaded.push(plugin);
    }
    Ok(loaded)
}
