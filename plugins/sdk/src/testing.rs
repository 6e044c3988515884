//! What a plugin reported, when built natively for its unit tests: one printable line per
//! record (`record message request command=0 action="identify"`), identity and anomaly.

use std::cell::RefCell;

thread_local! {
    static LINES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// The record being built, reported at `emit` as the host reports it.
    static OPEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub(crate) fn line(text: String) {
    LINES.with(|l| l.borrow_mut().push(text));
}

pub(crate) fn open(text: String) {
    OPEN.with(|o| *o.borrow_mut() = Some(text));
}

pub(crate) fn push_field(name: &str, value: String) {
    OPEN.with(|o| {
        if let Some(open) = o.borrow_mut().as_mut() {
            open.push(' ');
            open.push_str(name);
            open.push('=');
            open.push_str(&value);
        }
    });
}

pub(crate) fn close() {
    if let Some(record) = OPEN.with(|o| o.borrow_mut().take()) {
        line(record);
    }
}

/// Take the lines reported so far on this thread.
pub fn take_lines() -> Vec<String> {
    LINES.with(|l| std::mem::take(&mut *l.borrow_mut()))
}
