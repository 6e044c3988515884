//! S7comm-plus messages as typed values and the code tables they use. Siemens publishes no
//! specification; the names follow the public reverse-engineering work (the S7comm-plus
//! Wireshark plugin by Thomas Wiens, Zeek ICSNPP-S7comm), in snake case.

use std::fmt;

/// The protocol version octet after 0x72.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub u8);

impl Version {
    /// V3: S7-1200 from firmware 4, S7-1500; carries an integrity digest.
    pub const V3: Version = Version(3);
    /// A keep-alive (no opcode, no function).
    pub const KEEP_ALIVE: Version = Version(0xfe);

    /// Name the version.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x01 => "v1",
            0x02 => "v2",
            0x03 => "v3",
            0xfe => "keep_alive",
            _ => "unknown",
        }
    }
}

/// The opcode: the first octet of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opcode(pub u8);

impl Opcode {
    /// A request.
    pub const REQUEST: Opcode = Opcode(0x31);
    /// A response.
    pub const RESPONSE: Opcode = Opcode(0x32);
    /// A notification (subscribed values, alarms).
    pub const NOTIFICATION: Opcode = Opcode(0x33);
    /// A second form of response.
    pub const RESPONSE2: Opcode = Opcode(0x02);

    /// Name the opcode.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x31 => "request",
            0x32 => "response",
            0x33 => "notification",
            0x02 => "response2",
            _ => return None,
        })
    }

    /// Tell whether the opcode answers a request.
    pub fn is_response(self) -> bool {
        matches!(self, Opcode::RESPONSE | Opcode::RESPONSE2)
    }
}

/// A function code of a request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function(pub u16);

impl Function {
    /// Explore the object tree.
    pub const EXPLORE: Function = Function(0x04bb);
    /// Create an object (a session, a subscription, a block in a download).
    pub const CREATE_OBJECT: Function = Function(0x04ca);
    /// Delete an object.
    pub const DELETE_OBJECT: Function = Function(0x04d4);
    /// Set one variable.
    pub const SET_VARIABLE: Function = Function(0x04f2);
    /// Get one variable.
    pub const GET_VARIABLE: Function = Function(0x04fc);
    /// Set several variables.
    pub const SET_MULTI_VARIABLES: Function = Function(0x0542);
    /// Get several variables.
    pub const GET_MULTI_VARIABLES: Function = Function(0x054c);
    /// Begin a sequence (a transaction, such as a download).
    pub const BEGIN_SEQUENCE: Function = Function(0x0556);
    /// End a sequence.
    pub const END_SEQUENCE: Function = Function(0x0560);
    /// Invoke a method.
    pub const INVOKE: Function = Function(0x056b);
    /// Set a variable in parts.
    pub const SET_VAR_SUB_STREAMED: Function = Function(0x057c);
    /// Get a variable in parts.
    pub const GET_VAR_SUB_STREAMED: Function = Function(0x0586);

    /// Name the function.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x04bb => "explore",
            0x04ca => "create_object",
            0x04d4 => "delete_object",
            0x04f2 => "set_variable",
            0x04fc => "get_variable",
            0x0506 => "add_link",
            0x051a => "remove_link",
            0x0524 => "get_link",
            0x0542 => "set_multi_variables",
            0x054c => "get_multi_variables",
            0x0556 => "begin_sequence",
            0x0560 => "end_sequence",
            0x056b => "invoke",
            0x057c => "set_var_sub_streamed",
            0x0586 => "get_var_sub_streamed",
            0x0590 => "get_variables_address",
            0x059a => "abort",
            0x05a9 => "error",
            0x05b3 => "init_ssl",
            _ => return None,
        })
    }

    /// Tell whether the request's first field after the header is an object id (the
    /// object created under, deleted, written, read through or explored).
    pub fn addresses_object(self) -> bool {
        matches!(
            self,
            Function::CREATE_OBJECT
                | Function::DELETE_OBJECT
                | Function::SET_VARIABLE
                | Function::GET_VARIABLE
                | Function::SET_MULTI_VARIABLES
                | Function::GET_MULTI_VARIABLES
                | Function::EXPLORE
        )
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:04x} (unknown)", self.0),
        }
    }
}

/// The object id of the server session container: a client's first CreateObject, which
/// opens its session, names it as the session.
pub const SESSION_CONTAINER: u32 = 0x0120;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_keeps_unknown_codes() {
        assert_eq!(Function(0x0586).to_string(), "get_var_sub_streamed");
        assert_eq!(Function(0x1234).to_string(), "0x1234 (unknown)");
        assert!(Opcode::RESPONSE2.is_response());
        assert_eq!(Version(0xfe).name(), "keep_alive");
        assert!(Function::DELETE_OBJECT.addresses_object());
        assert!(!Function::BEGIN_SEQUENCE.addresses_object());
    }
}
