//! Schneider Electric UMAS, the engineering protocol of Unity Pro / EcoStruxure Control Expert
//! carried in Modbus function 90 (0x5A).
//!
//! Schneider publishes no specification. The layout here is the one public descriptions agree
//! on: a request PDU is `5A <session key> <UMAS function> <data>`, a response
//! `5A <session key> <status> <data>` with status 0xFE for success and 0xFD for an error
//! (J. Liras, "The Unity (UMAS) protocol", parts I-V, 2017; the UMAS Wireshark plugin of
//! biero-el-corridor, extended for the Black Hat Europe 2024 M340 research; Digital Bond's
//! `modicon-info.nse`). Function names follow those descriptions. Their "upload" means copying
//! a program *to* the PLC and "download" copying it *from* the PLC, the reverse of Rampart's
//! vocabulary, so 0x30-0x32 are [`Activity::ProgramDownload`] and 0x33-0x35
//! [`Activity::ProgramUpload`], whatever they are called.
//!
//! Payload layouts decoded (each seen in two public sources and in the Modicon capture of
//! the shared corpus): READ_ID responses carry the CPU model as a length-prefixed string at
//! data offset 22 and the firmware as a little-endian word at offset 8 whose bytes print as
//! `major.minor` in hex (0x0270 is V2.70); READ_PROJECT_INFO responses carry the build
//! number (little-endian word at 34), minor and major version (36, 37) and the project name
//! (length including its NUL at 38, text from 39); TAKE_PLC_RESERVATION requests carry the
//! engineering station's name (length at data offset 4, text from 5) and their responses the
//! session key the station uses from then on.

use rampart_dissect::{Reader, Truncated};
use rampart_event::Activity;

/// Status byte of a successful response.
pub const STATUS_OK: u8 = 0xfe;
/// Status byte of an error response.
pub const STATUS_ERROR: u8 = 0xfd;

/// A UMAS function code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmasCode(pub u8);

impl UmasCode {
    /// READ_ID: the PLC's identification.
    pub const READ_ID: UmasCode = UmasCode(0x02);
    /// READ_PROJECT_INFO: the loaded project's name and version.
    pub const READ_PROJECT_INFO: UmasCode = UmasCode(0x03);
    /// TAKE_PLC_RESERVATION: an engineering station takes ownership of the PLC.
    pub const TAKE_RESERVATION: UmasCode = UmasCode(0x10);
    /// A signed envelope (M580 with application password): the real function follows a
    /// 32-byte signature.
    pub const SIGNED: UmasCode = UmasCode(0x38);

    /// Name the function, or `None` when no public description names it.
    pub fn name(self) -> Option<&'static str> {
        self.entry().map(|(name, _)| name)
    }

    /// Return what the function does to the PLC.
    pub fn activity(self) -> Option<Activity> {
        self.entry().and_then(|(_, activity)| activity)
    }

    fn entry(self) -> Option<(&'static str, Option<Activity>)> {
        use Activity::*;
        let (name, activity) = match self.0 {
            0x01 => ("init_comm", Some(Session)),
            0x02 => ("read_id", Some(Identify)),
            0x03 => ("read_project_info", Some(Identify)),
            0x04 => ("read_plc_info", Some(Diagnostics)),
            0x05 => ("read_loader_info", Some(Diagnostics)),
            0x06 => ("read_card_info", Some(Identify)),
            0x07 => ("read_block_info", Some(Read)),
            0x0a => ("repeat", Some(Session)),
            0x10 => ("take_plc_reservation", Some(Session)),
            0x11 => ("release_plc_reservation", Some(Session)),
            0x12 => ("keep_alive", Some(Session)),
            0x20 => ("read_memory_block", Some(Read)),
            0x21 => ("write_memory_block", Some(Write)),
            0x22 => ("read_variables", Some(Read)),
            0x23 => ("write_variables", Some(Write)),
            0x24 => ("read_coils_registers", Some(Read)),
            0x25 => ("write_coils_registers", Some(Write)),
            0x26 => ("data_dictionary", Some(Read)),
            0x27 => ("data_dictionary_preload", Some(Read)),
            0x28 => ("read_physical_address", Some(Read)),
            0x29 => ("write_physical_address", Some(Write)),
            0x2a => ("browse_events", Some(Read)),
            0x30 => ("initialize_upload", Some(ProgramDownload)),
            0x31 => ("upload_block", Some(ProgramDownload)),
            0x32 => ("end_strategy_upload", Some(ProgramDownload)),
            0x33 => ("initialize_download", Some(ProgramUpload)),
            0x34 => ("download_block", Some(ProgramUpload)),
            0x35 => ("end_strategy_download", Some(ProgramUpload)),
            0x36 => ("backup", None),
            0x37 => ("preload_blocks", Some(ProgramDownload)),
            0x38 => ("signed_message", None),
            0x39 => ("read_eth_master_data", Some(Read)),
            0x40 => ("start_plc", Some(PlcStart)),
            0x41 => ("stop_plc", Some(PlcStop)),
            0x42 => ("init_plc", Some(Restart)),
            0x43 => ("swap", Some(ProgramDownload)),
            0x50 => ("monitor_plc", Some(Monitor)),
            0x51 => ("get_auto_modif", Some(Monitor)),
            0x52 => ("get_forced_bits", Some(Monitor)),
            0x53 => ("get_selected_blocks", Some(Monitor)),
            0x58 => ("check_plc", Some(Monitor)),
            // Breakpoints and stepping halt the program where the engineer says.
            0x60 => ("breakpoint_set", Some(ModeChange)),
            0x61 => ("breakpoint_delete", Some(ModeChange)),
            0x62 => ("step_over", Some(ModeChange)),
            0x63 => ("step_in", Some(ModeChange)),
            0x64 => ("step_out", Some(ModeChange)),
            0x65 => ("get_call_stack", Some(Monitor)),
            0x66 => ("check_debug_allowed", Some(Monitor)),
            0x6c => ("process_message", Some(Session)),
            0x6d => ("private_message", Some(Session)),
            0x6e => ("reservation_nonces", Some(Authentication)),
            0x70 => ("read_io_object", Some(Read)),
            0x71 => ("write_io_object", Some(Write)),
            0x72 => ("read_rack", Some(Identify)),
            0x73 => ("get_status_module", Some(Diagnostics)),
            0x74 => ("read_device_data", Some(Read)),
            _ => return None,
        };
        Some((name, activity))
    }
}

/// Name a response status byte.
pub fn status_name(status: u8) -> Option<&'static str> {
    match status {
        STATUS_OK => Some("ok"),
        STATUS_ERROR => Some("error"),
        _ => None,
    }
}

/// A UMAS request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmasRequest<'a> {
    /// The session (pairing) key: 0 before a reservation, the reserved key after.
    pub session_key: u8,
    /// The function, the inner one for a signed envelope.
    pub code: UmasCode,
    /// The request came in a signed envelope (function 0x38).
    pub signed: bool,
    /// The function's data.
    pub data: &'a [u8],
}

/// A UMAS response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmasResponse<'a> {
    /// The session key, repeated.
    pub session_key: u8,
    /// 0xFE success, 0xFD error.
    pub status: u8,
    /// The data.
    pub data: &'a [u8],
}

/// Read a UMAS request from the Modbus data after function code 90.
pub fn request(data: &[u8]) -> Result<UmasRequest<'_>, Truncated> {
    let mut r = Reader::new(data);
    let session_key = r.u8("umas session key")?;
    let code = UmasCode(r.u8("umas function code")?);
    let rest = r.rest();
    // Signed envelope: magic, 32-byte signature, then 5A, key and the real function.
    if code == UmasCode::SIGNED
        && let [_magic, signature @ ..] = rest
        && let (Some(&0x5a), Some(&inner)) = (signature.get(32), signature.get(34))
    {
        return Ok(UmasRequest {
            session_key,
            code: UmasCode(inner),
            signed: true,
            data: signature.get(35..).unwrap_or_default(),
        });
    }
    Ok(UmasRequest {
        session_key,
        code,
        signed: false,
        data: rest,
    })
}

/// Read a UMAS response from the Modbus data after function code 90.
pub fn response(data: &[u8]) -> Result<UmasResponse<'_>, Truncated> {
    let mut r = Reader::new(data);
    Ok(UmasResponse {
        session_key: r.u8("umas session key")?,
        status: r.u8("umas status")?,
        data: r.rest(),
    })
}

/// What a READ_ID response says about the PLC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlcId<'a> {
    /// The CPU's model (`140 CPU 311 10`, `BMX P34 2000`).
    pub model: &'a [u8],
    /// Firmware word: high byte major, low byte minor, each printed in hex.
    pub firmware: u16,
}

/// Read a READ_ID response's data.
pub fn plc_id(data: &[u8]) -> Result<PlcId<'_>, Truncated> {
    let mut r = Reader::new(data);
    r.skip("read_id header", 8)?;
    let firmware = r.u16_le("read_id firmware")?;
    r.skip("read_id details", 12)?;
    let len = r.u8("read_id model length")?;
    let model = r.bytes("read_id model", usize::from(len))?;
    Ok(PlcId { model, firmware })
}

/// What a READ_PROJECT_INFO response says about the loaded project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectInfo<'a> {
    /// The project's name, NUL-terminated.
    pub name: &'a [u8],
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Build number.
    pub build: u16,
}

/// Read a READ_PROJECT_INFO response's data.
pub fn project_info(data: &[u8]) -> Result<ProjectInfo<'_>, Truncated> {
    let mut r = Reader::new(data);
    r.skip("project info header and build times", 34)?;
    let build = r.u16_le("project build")?;
    let minor = r.u8("project minor version")?;
    let major = r.u8("project major version")?;
    let len = r.u8("project name length")?;
    let name = r.bytes("project name", usize::from(len))?;
    Ok(ProjectInfo {
        name,
        major,
        minor,
        build,
    })
}

/// Read the engineering station's name from a TAKE_PLC_RESERVATION request's data.
pub fn reservation_owner(data: &[u8]) -> Result<&[u8], Truncated> {
    let mut r = Reader::new(data);
    r.skip("reservation header", 4)?;
    let len = r.u8("owner name length")?;
    r.bytes("owner name", usize::from(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// READ_ID response of the Modicon Quantum in modbus-modicon-umas-fc90.pcap (frame 6),
    /// after `5A 00 FE`.
    const QUANTUM_ID: &[u8] = &[
        0x10, 0xff, 0x5a, 0x01, 0x01, 0x00, 0x00, 0x00, // family, type, ids
        0x70, 0x02, // firmware 0x0270: V2.70
        0x00, 0x00, 0x27, 0x00, 0x09, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // details
        0x0e, // model length 14
        b'1', b'4', b'0', b' ', b'C', b'P', b'U', b' ', b'3', b'1', b'1', b' ', b'1', b'0', 0x01,
        0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, // memory banks
    ];

    #[test]
    fn reads_the_cpu_model_and_firmware_of_a_read_id_response() {
        let id = plc_id(QUANTUM_ID).expect("whole response");
        assert_eq!(id.model, b"140 CPU 311 10");
        assert_eq!(id.firmware, 0x0270);
        let err = plc_id(&QUANTUM_ID[..25]).expect_err("model cut short");
        assert_eq!(err.field, "read_id model");
        assert_eq!((err.needed, err.available), (14, 2));
    }

    #[test]
    fn reads_project_name_and_version() {
        // Frame 12 of the Modicon capture: build times, build 8, version 0.0, "Project".
        let mut data = vec![0u8; 34];
        data.extend_from_slice(&[0x08, 0x00, 0x00, 0x00, 0x08]);
        data.extend_from_slice(b"Project\0");
        let info = project_info(&data).expect("whole response");
        assert_eq!(info.name, b"Project\0");
        assert_eq!((info.major, info.minor, info.build), (0, 0, 8));
    }

    #[test]
    fn reads_the_station_taking_a_reservation() {
        // Frame 49: 43 4C 00 00, length 15, "USER-714E74F21B".
        let data = b"\x43\x4c\x00\x00\x0fUSER-714E74F21B";
        assert_eq!(reservation_owner(data), Ok(&b"USER-714E74F21B"[..]));
    }

    #[test]
    fn opens_a_signed_envelope() {
        let mut data = vec![0x00, 0x38, 0x02]; // key 0, signed, magic
        data.extend_from_slice(&[0xaa; 32]); // signature
        data.extend_from_slice(&[0x5a, 0x07, 0x41, 0xff, 0x00]); // 5A, key 7, STOP_PLC
        let req = request(&data).expect("request");
        assert!(req.signed);
        assert_eq!(req.code.name(), Some("stop_plc"));
        assert_eq!(req.code.activity(), Some(Activity::PlcStop));
        assert_eq!(req.data, &[0xff, 0x00]);
    }

    #[test]
    fn names_functions_and_keeps_unknown_ones() {
        assert_eq!(UmasCode(0x34).name(), Some("download_block"));
        assert_eq!(UmasCode(0x34).activity(), Some(Activity::ProgramUpload));
        assert_eq!(UmasCode(0x31).activity(), Some(Activity::ProgramDownload));
        assert_eq!(UmasCode(0x99).name(), None);
        assert_eq!(status_name(0xfd), Some("error"));
    }
}
