//! FINS code points and the tables that name them (Omron FINS Commands Reference Manual
//! W227, CS/CJ Communications Commands W342 §5).

use rampart_event::Activity;

/// Name a command code (MRC, SRC).
pub fn command_name(code: u16) -> Option<&'static str> {
    Some(match code {
        0x0101 => "memory_area_read",
        0x0102 => "memory_area_write",
        0x0103 => "memory_area_fill",
        0x0104 => "multiple_memory_area_read",
        0x0105 => "memory_area_transfer",
        0x0201 => "parameter_area_read",
        0x0202 => "parameter_area_write",
        0x0203 => "parameter_area_clear",
        0x0220 => "data_link_table_read",
        0x0221 => "data_link_table_write",
        0x0304 => "program_area_protect",
        0x0305 => "program_area_protect_clear",
        0x0306 => "program_area_read",
        0x0307 => "program_area_write",
        0x0308 => "program_area_clear",
        0x0401 => "run",
        0x0402 => "stop",
        0x0501 => "controller_data_read",
        0x0502 => "connection_data_read",
        0x0601 => "controller_status_read",
        0x0602 => "network_status_read",
        0x0603 => "data_link_status_read",
        0x0620 => "cycle_time_read",
        0x0701 => "clock_read",
        0x0702 => "clock_write",
        0x0801 => "loop_back_test",
        0x0802 => "broadcast_test_results_read",
        0x0803 => "broadcast_test_data_send",
        0x0920 => "message_read",
        0x0c01 => "access_right_acquire",
        0x0c02 => "access_right_forced_acquire",
        0x0c03 => "access_right_release",
        0x2101 => "error_clear",
        0x2102 => "error_log_read",
        0x2103 => "error_log_clear",
        0x2201 => "file_name_read",
        0x2202 => "single_file_read",
        0x2203 => "single_file_write",
        0x2204 => "file_memory_format",
        0x2205 => "file_delete",
        0x2206 => "volume_label_create_delete",
        0x2207 => "file_copy",
        0x2208 => "file_name_change",
        0x2209 => "file_data_check",
        0x220a => "memory_area_file_transfer",
        0x220b => "parameter_area_file_transfer",
        0x220c => "program_area_file_transfer",
        0x220f => "file_memory_index_read",
        0x2210 => "file_memory_read",
        0x2211 => "file_memory_write",
        0x2215 => "directory_create_delete",
        0x2301 => "forced_set_reset",
        0x2302 => "forced_set_reset_cancel",
        0x230a => "multiple_forced_status_read",
        0x2601 => "name_set",
        0x2602 => "name_delete",
        0x2603 => "name_read",
        _ => return None,
    })
}

/// What a command does to a controller, for the record's `action`.
///
/// Reading the program area is a program upload, writing it a download and clearing it a
/// deletion; forced set/reset overrides I/O bits as an operator command does; access rights
/// reserve the controller for one client, a session; names and the parameter, data link
/// and protection areas are configuration.
pub fn activity(code: u16) -> Option<Activity> {
    Some(match code {
        0x0101 | 0x0104 | 0x0201 | 0x0220 | 0x230a => Activity::Read,
        0x0102 | 0x0103 | 0x0105 => Activity::Write,
        0x0202 | 0x0203 | 0x0221 | 0x0304 | 0x0305 | 0x2601 | 0x2602 => Activity::ConfigChange,
        0x0306 => Activity::ProgramUpload,
        0x0307 => Activity::ProgramDownload,
        0x0308 => Activity::ProgramDelete,
        0x0401 => Activity::PlcStart,
        0x0402 => Activity::PlcStop,
        0x0501 | 0x0502 | 0x2603 => Activity::Identify,
        0x0601..=0x0603 | 0x0620 | 0x0801..=0x0803 | 0x0920 | 0x2102 => Activity::Diagnostics,
        0x0701 | 0x0702 => Activity::TimeSync,
        0x0c01..=0x0c03 => Activity::Session,
        0x2101 | 0x2103 | 0x2301 | 0x2302 => Activity::Command,
        0x2201..=0x2215 => Activity::FileTransfer,
        _ => return None,
    })
}

/// Tell whether the response to `code` carries nothing after its end code.
pub fn response_is_bare(code: u16) -> bool {
    matches!(
        code,
        0x0102
            | 0x0103
            | 0x0105
            | 0x0202
            | 0x0203
            | 0x0304
            | 0x0305
            | 0x0308
            | 0x0401
            | 0x0402
            | 0x0702
            | 0x2101
            | 0x2103
            | 0x2301
            | 0x2302
            | 0x2601
            | 0x2602
    )
}

/// Name the main response code (MRES, bit 7 masked) of an end code.
pub fn end_code_name(main: u8) -> Option<&'static str> {
    Some(match main & 0x7f {
        0x00 => "normal_completion",
        0x01 => "local_node_error",
        0x02 => "destination_node_error",
        0x03 => "controller_error",
        0x04 => "service_unsupported",
        0x05 => "routing_table_error",
        0x10 => "command_format_error",
        0x11 => "parameter_error",
        0x20 => "read_not_possible",
        0x21 => "write_not_possible",
        0x22 => "not_executable_in_current_mode",
        0x23 => "no_such_device",
        0x24 => "cannot_start_stop",
        0x25 => "unit_error",
        0x26 => "command_error",
        0x30 => "access_right_error",
        0x40 => "abort",
        _ => return None,
    })
}

/// Name a memory area code (W342 §5-2-2, CS/CJ and CV modes).
pub fn memory_area_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "cio_bit_cv",
        0x02 => "dm_bit",
        0x06 => "task_flag_bit",
        0x07 => "condition_flag_bit",
        0x09 => "tim_cnt_flag",
        0x1b => "em_current_bank_bit",
        0x20..=0x2c => "em_bank_bit",
        0x30 => "cio_bit",
        0x31 => "wr_bit",
        0x32 => "hr_bit",
        0x33 => "ar_bit",
        0x46 => "task_flag_status",
        0x80 => "cio_word_cv",
        0x81 => "tim_cnt_pv_cv",
        0x82 => "dm_word",
        0x89 => "tim_cnt_pv",
        0x90..=0x97 => "em_bank_word_cv",
        0x98 => "em_current_bank_word",
        0x9c => "data_register",
        0xa0..=0xac => "em_bank_word",
        0xb0 => "cio_word",
        0xb1 => "wr_word",
        0xb2 => "hr_word",
        0xb3 => "ar_word",
        0xbc => "index_register",
        _ => return None,
    })
}

/// Name a FINS/TCP command (W342 §7-4).
pub fn tcp_command_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0 => "node_address_client_to_server",
        1 => "node_address_server_to_client",
        2 => "fins_frame",
        3 => "fins_frame_send_error",
        6 => "connection_confirmation",
        _ => return None,
    })
}

/// Name a CPU unit operating mode as the controller status read reports it.
pub fn plc_mode(status: u8, mode: u8) -> &'static str {
    match (status, mode) {
        (0x00, _) => "stop",
        (0x80, _) => "standby",
        (_, 0x02) => "monitor",
        (_, 0x04) => "run",
        (_, 0x00) => "program",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_commands_areas_and_end_codes() {
        assert_eq!(command_name(0x0101), Some("memory_area_read"));
        assert_eq!(command_name(0x7f7f), None);
        assert_eq!(activity(0x0402), Some(Activity::PlcStop));
        assert_eq!(activity(0x0307), Some(Activity::ProgramDownload));
        assert_eq!(memory_area_name(0x82), Some("dm_word"));
        assert_eq!(end_code_name(0x26), Some("command_error"));
        assert_eq!(end_code_name(0x82), Some("destination_node_error"));
        assert_eq!(plc_mode(0x01, 0x04), "run");
        assert_eq!(plc_mode(0x00, 0x04), "stop");
    }
}
