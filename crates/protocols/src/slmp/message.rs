//! SLMP / MELSEC communication protocol messages as typed values, and their code tables
//! (Mitsubishi Electric "SLMP Reference Manual" SH-080956ENG, "the manual"; MELSEC
//! Communication Protocol Reference Manual SH-080008 for the 3E and 4E frames).

use rampart_event::Activity;

/// Which frame and encoding a message uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// The 4E frame carries a serial number that pairs a response with its request.
    pub four_e: bool,
    /// ASCII frames spell every field in hexadecimal characters.
    pub ascii: bool,
    /// A response (subheader 0xD000 / 0xD400).
    pub response: bool,
}

impl Frame {
    /// Name the frame as records do: `3e` or `4e`.
    pub fn name(self) -> &'static str {
        if self.four_e { "4e" } else { "3e" }
    }

    /// Name the encoding: `binary` or `ascii`.
    pub fn encoding(self) -> &'static str {
        if self.ascii { "ascii" } else { "binary" }
    }
}

/// The header fields both frames share (the manual, "Message format").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Frame and encoding.
    pub frame: Frame,
    /// 4E serial number.
    pub serial: Option<u16>,
    /// Request destination network number.
    pub network: u8,
    /// Request destination station number (0xFF: the connected station).
    pub station: u8,
    /// Request destination module I/O number (0x03FF: the CPU).
    pub module_io: u16,
    /// Request destination multidrop station number.
    pub module_station: u8,
    /// Bytes (binary) or characters (ASCII) after the length field.
    pub data_len: usize,
    /// Length of the header up to and including the length field.
    pub header_len: usize,
}

impl Header {
    /// Return the whole message's length.
    pub fn total(&self) -> usize {
        self.header_len + self.data_len
    }
}

/// A request: its command, subcommand and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// Monitoring timer, in units of 250 ms.
    pub timer: u16,
    /// Command.
    pub command: Command,
    /// Subcommand.
    pub subcommand: u16,
    /// Request data (binary, or ASCII characters).
    pub data: &'a [u8],
}

/// A response: its end code and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// End code: 0 for normal completion.
    pub end_code: u16,
    /// Response data, or error information after an error.
    pub data: &'a [u8],
}

/// An SLMP command code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command(pub u16);

impl Command {
    /// Read Type Name: the CPU's model.
    pub const READ_TYPE_NAME: Command = Command(0x0101);

    /// Name the command, or `None` when the manual does not list it.
    pub fn name(self) -> Option<&'static str> {
        self.entry().map(|(name, _)| name)
    }

    /// Return what the command does to the PLC.
    pub fn activity(self) -> Option<Activity> {
        self.entry().and_then(|(_, a)| a)
    }

    fn entry(self) -> Option<(&'static str, Option<Activity>)> {
        use Activity::*;
        let (name, activity) = match self.0 {
            0x0401 => ("device_read", Some(Read)),
            0x1401 => ("device_write", Some(Write)),
            0x0403 => ("device_read_random", Some(Read)),
            0x1402 => ("device_write_random", Some(Write)),
            0x0406 => ("device_read_block", Some(Read)),
            0x1406 => ("device_write_block", Some(Write)),
            0x0801 => ("device_entry_monitor", Some(Monitor)),
            0x0802 => ("device_execute_monitor", Some(Monitor)),
            0x041a => ("array_label_read", Some(Read)),
            0x141a => ("array_label_write", Some(Write)),
            0x041c => ("label_read_random", Some(Read)),
            0x141b => ("label_write_random", Some(Write)),
            0x0613 => ("memory_read", Some(Read)),
            0x1613 => ("memory_write", Some(Write)),
            0x0601 => ("extend_unit_read", Some(Read)),
            0x1601 => ("extend_unit_write", Some(Write)),
            0x1001 => ("remote_run", Some(PlcStart)),
            0x1002 => ("remote_stop", Some(PlcStop)),
            0x1003 => ("remote_pause", Some(PlcStop)),
            0x1005 => ("remote_latch_clear", Some(Write)),
            0x1006 => ("remote_reset", Some(Restart)),
            0x0101 => ("read_type_name", Some(Identify)),
            0x1630 => ("remote_password_unlock", Some(Authentication)),
            0x1631 => ("remote_password_lock", Some(Session)),
            0x0619 => ("self_test", Some(Diagnostics)),
            0x1617 => ("clear_error", Some(Diagnostics)),
            0x1810 => ("read_directory", Some(FileTransfer)),
            0x1811 => ("search_directory", Some(FileTransfer)),
            0x1820 => ("new_file", Some(ProgramDownload)),
            0x1822 => ("delete_file", Some(ProgramDelete)),
            0x1824 => ("copy_file", Some(FileTransfer)),
            0x1825 => ("change_file_state", Some(FileTransfer)),
            0x1826 => ("change_file_date", Some(FileTransfer)),
            0x1827 => ("open_file", Some(FileTransfer)),
            0x1828 => ("read_file", Some(ProgramUpload)),
            0x1829 => ("write_file", Some(ProgramDownload)),
            0x182a => ("close_file", Some(FileTransfer)),
            _ => return None,
        };
        Some((name, activity))
    }

    /// Tell whether the request data starts with a device specification (head device and
    /// code, then a number of points).
    pub fn addresses_devices(self) -> bool {
        matches!(self.0, 0x0401 | 0x1401)
    }
}

/// Name a device code of the binary device specification (the manual, "Device code list").
pub fn device_name(code: u16) -> Option<&'static str> {
    Some(match code {
        0x91 => "SM",
        0xa9 => "SD",
        0x9c => "X",
        0x9d => "Y",
        0x90 => "M",
        0x92 => "L",
        0x93 => "F",
        0x94 => "V",
        0xa0 => "B",
        0xa8 => "D",
        0xb4 => "W",
        0xc1 => "TS",
        0xc0 => "TC",
        0xc2 => "TN",
        0xc7 => "STS",
        0xc6 => "STC",
        0xc8 => "STN",
        0xc4 => "CS",
        0xc3 => "CC",
        0xc5 => "CN",
        0xa1 => "SB",
        0xb5 => "SW",
        0xa2 => "DX",
        0xa3 => "DY",
        0xcc => "Z",
        0xaf => "R",
        0xb0 => "ZR",
        0x51 => "LTS",
        0x50 => "LTC",
        0x52 => "LTN",
        0x59 => "LSTS",
        0x58 => "LSTC",
        0x5a => "LSTN",
        0x55 => "LCS",
        0x54 => "LCC",
        0x56 => "LCN",
        0x62 => "LZ",
        0x2c => "RD",
        _ => return None,
    })
}

/// A device range of a batch read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Devices {
    /// Device code.
    pub code: u16,
    /// Head device number.
    pub head: u32,
    /// Number of points (words or bits, by subcommand).
    pub points: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_commands_and_their_activities() {
        assert_eq!(Command(0x1002).name(), Some("remote_stop"));
        assert_eq!(Command(0x1002).activity(), Some(Activity::PlcStop));
        assert_eq!(Command(0x1829).activity(), Some(Activity::ProgramDownload));
        assert_eq!(Command(0x7777).name(), None);
        assert_eq!(device_name(0xa8), Some("D"));
    }
}
