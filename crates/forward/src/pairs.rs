//! The `key=value` lists of CEF extensions and LEEF attributes: one writer, each format with
//! its own separator and value escaping.

/// Writes `key=value` pairs onto a record, values escaped by the format's rule.
pub(crate) struct Pairs<'a> {
    out: &'a mut String,
    separator: char,
    escape: fn(&mut String, &str),
    first: bool,
}

impl<'a> Pairs<'a> {
    /// Pairs appended to `out`, separated by `separator`, values written by `escape`.
    pub(crate) fn new(out: &'a mut String, separator: char, escape: fn(&mut String, &str)) -> Self {
        Pairs {
            out,
            separator,
            escape,
            first: true,
        }
    }

    /// Append one pair; keys are the formats' fixed ASCII names and need no escaping.
    pub(crate) fn pair(&mut self, key: &str, value: &str) {
        if !self.first {
            self.out.push(self.separator);
        }
        self.first = false;
        self.out.push_str(key);
        self.out.push('=');
        (self.escape)(self.out, value);
    }
}
