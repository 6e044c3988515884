//! The calls into the host: WebAssembly imports of module `rampart` on wasm32, a collector of
//! printable lines everywhere else (so plugins are unit-tested natively).
//!
//! This is the SDK's only `unsafe`: calling an imported function is a foreign call the
//! compiler cannot check. Every call passes a pointer and length of a live Rust slice, which
//! is all the host reads; the host bounds-checks both against the plugin's memory anyway.

use std::cell::RefCell;

thread_local! {
    /// Where the host writes the input of `probe` and `feed`.
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Make room for `len` input bytes; return where they go.
pub fn buffer_at(len: i32) -> i32 {
    let len = usize::try_from(len).unwrap_or(0);
    INPUT.with(|input| {
        let mut input = input.borrow_mut();
        input.clear();
        input.resize(len, 0);
        input.as_ptr() as usize as i32
    })
}

/// Run `f` on the first `len` input bytes.
pub fn with_input<R>(len: i32, f: impl FnOnce(&[u8]) -> R) -> R {
    INPUT.with(|input| {
        let input = input.borrow();
        let len = usize::try_from(len).unwrap_or(0).min(input.len());
        f(&input[..len])
    })
}

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "rampart")]
    unsafe extern "C" {
        pub fn record(kind: *const u8, kind_len: i32, direction: i32);
        pub fn field_str(name: *const u8, name_len: i32, value: *const u8, value_len: i32);
        pub fn field_bytes(name: *const u8, name_len: i32, value: *const u8, value_len: i32);
        pub fn field_u64(name: *const u8, name_len: i32, value: i64);
        pub fn field_i64(name: *const u8, name_len: i32, value: i64);
        pub fn field_bool(name: *const u8, name_len: i32, value: i32);
        pub fn action(name: *const u8, name_len: i32);
        pub fn emit();
        pub fn identity(
            subject: i32,
            attribute: *const u8,
            attribute_len: i32,
            value: *const u8,
            value_len: i32,
            confidence: i32,
        );
        pub fn anomaly(
            code: *const u8,
            code_len: i32,
            offset: i64,
            detail: *const u8,
            detail_len: i32,
        );
    }
}

#[cfg(target_arch = "wasm32")]
fn len(bytes: &[u8]) -> i32 {
    i32::try_from(bytes.len()).unwrap_or(i32::MAX)
}

#[cfg(target_arch = "wasm32")]
mod calls {
    use super::{imports, len};

    pub fn record(kind: &str, direction: i32) {
        // SAFETY: a foreign call with a live slice's pointer and length (module doc).
        unsafe { imports::record(kind.as_ptr(), len(kind.as_bytes()), direction) }
    }

    pub fn field_str(name: &str, value: &[u8]) {
        // SAFETY: as above.
        unsafe {
            imports::field_str(
                name.as_ptr(),
                len(name.as_bytes()),
                value.as_ptr(),
                len(value),
            )
        }
    }

    pub fn field_bytes(name: &str, value: &[u8]) {
        // SAFETY: as above.
        unsafe {
            imports::field_bytes(
                name.as_ptr(),
                len(name.as_bytes()),
                value.as_ptr(),
                len(value),
            )
        }
    }

    pub fn field_u64(name: &str, value: u64) {
        // SAFETY: as above.
        unsafe { imports::field_u64(name.as_ptr(), len(name.as_bytes()), value as i64) }
    }

    pub fn field_i64(name: &str, value: i64) {
        // SAFETY: as above.
        unsafe { imports::field_i64(name.as_ptr(), len(name.as_bytes()), value) }
    }

    pub fn field_bool(name: &str, value: bool) {
        // SAFETY: as above.
        unsafe { imports::field_bool(name.as_ptr(), len(name.as_bytes()), i32::from(value)) }
    }

    pub fn action(name: &str) {
        // SAFETY: as above.
        unsafe { imports::action(name.as_ptr(), len(name.as_bytes())) }
    }

    pub fn emit() {
        // SAFETY: a foreign call without arguments.
        unsafe { imports::emit() }
    }

    pub fn identity(subject: i32, attribute: &str, value: &str, confidence: i32) {
        // SAFETY: as above.
        unsafe {
            imports::identity(
                subject,
                attribute.as_ptr(),
                len(attribute.as_bytes()),
                value.as_ptr(),
                len(value.as_bytes()),
                confidence,
            )
        }
    }

    pub fn anomaly(code: &str, offset: i64, detail: &str) {
        // SAFETY: as above.
        unsafe {
            imports::anomaly(
                code.as_ptr(),
                len(code.as_bytes()),
                offset,
                detail.as_ptr(),
                len(detail.as_bytes()),
            )
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod calls {
    use crate::testing::{close, line, open, push_field};

    pub fn record(kind: &str, direction: i32) {
        let dir = match direction {
            0 => "request",
            1 => "response",
            _ => "transaction",
        };
        open(format!("record {kind} {dir}"));
    }

    pub fn field_str(name: &str, value: &[u8]) {
        push_field(name, format!("{:?}", String::from_utf8_lossy(value)));
    }

    pub fn field_bytes(name: &str, value: &[u8]) {
        let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
        push_field(name, format!("\"{hex}\""));
    }

    pub fn field_u64(name: &str, value: u64) {
        push_field(name, value.to_string());
    }

    pub fn field_i64(name: &str, value: i64) {
        push_field(name, value.to_string());
    }

    pub fn field_bool(name: &str, value: bool) {
        push_field(name, value.to_string());
    }

    pub fn action(name: &str) {
        push_field("action", format!("{name:?}"));
    }

    pub fn emit() {
        close();
    }

    pub fn identity(subject: i32, attribute: &str, value: &str, _confidence: i32) {
        let side = if subject == 0 { "client" } else { "server" };
        line(format!("identity {side} {attribute} {value}"));
    }

    pub fn anomaly(code: &str, offset: i64, detail: &str) {
        line(format!("anomaly {code} @{offset} {detail}"));
    }
}

pub use calls::*;
