#![no_main]
//! The plugin loader on arbitrary bytes as a WebAssembly module: validation, instantiation
//! with the sandbox's limits, the manifest export and its checks must refuse anything bad with
//! an error, never a panic.
use rampart_plugin::{Limits, Plugin};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        memory: 1 << 20,
        fuel_per_call: 100_000,
    };
    let _ = Plugin::from_bytes(std::path::Path::new("fuzz.wasm"), data, limits, &["modbus"]);
});
