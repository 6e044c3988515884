//! S7comm (Siemens S7 communication, protocol id 0x32) over COTP on TCP 102: how STEP 7,
//! TIA Portal, WinCC and S7 drivers read, write, program, start and stop S7-300/400 (and
//! S7-1200/1500 in their "PUT/GET" mode) controllers.
//!
//! Owns the S7comm PDU: the header (ROSCTR job, ack, ack_data, userdata; PDU reference;
//! parameter and data lengths; error class and code of acknowledgements), setup
//! communication, read/write var with S7ANY and DBREAD item addresses and return codes,
//! request download / download block / download ended, start upload / upload / end upload
//! with the block named by its file name (`_0A00001P`: DB 1, passive file system), PLC
//! control (PI services `_INSE`, `_DELE`, `P_PROGRAM`, `_MODU`, `_GARB`, NC services), PLC
//! stop, and user data (function group and subfunction; SZL reads, block functions, cyclic
//! data, alarms, clock, security, mode transitions). Framing, COTP records and reassembly
//! are [`crate::cotp`]'s.
//!
//! Records: a job and its ack/ack_data, or a user data request and its response, paired by
//! PDU reference (and direction: download block jobs come from the PLC), are one transaction
//! (`direction` none); an unanswered request (at flow end, when forgotten beyond the
//! transaction limit, or when its reference is reused) or an unmatched response or push is a
//! record alone. The kind is the function (`setup_communication`, `read_var`, `write_var`,
//! `request_download`, `download_block`, `download_ended`, `start_upload`, `upload`,
//! `end_upload`, `plc_control`, `plc_stop`, `cpu_services`, `unknown_function`, `ack`) or
//! the user data subfunction (`read_szl`, `read_clock`, `set_clock`, `list_blocks`,
//! `get_block_info`, `cyclic_transfer`, `change_driven_transfer`, `alarm_query`,
//! `plc_password`, …, `mode_transition` for group 0, `userdata` when unknown). Fields:
//! - always: `rosctr`, `rosctr_name`, `pdu_reference`, `param_length`, `data_length`; jobs
//!   `function_code`, `function`; user data `userdata_type` (`request`, `response`, `push`),
//!   `function_group`, `function_group_name`, `subfunction`, `subfunction_name` (or `mode`,
//!   `mode_name` for a mode transition), `sequence_number`;
//! - responses: `response_rosctr`, `response_rosctr_name`, `response_function_code` (paired),
//!   `error_class`, `error_class_name`, `error_code`; user data `data_unit_reference`,
//!   `last_data_unit`, `userdata_error`, `return_code`, `return_code_name`;
//! - setup: `max_amq_calling`, `max_amq_called`, `pdu_length` and their `negotiated_`
//!   counterparts;
//! - read/write var: `item_count`, `items` (S7 ANY-pointer notation, `P#DB1.DBX10.0 BYTE 4`,
//!   at most 64), `return_codes`, `return_code_names`;
//! - block transfers: `function_status`, `filename`, `block_type` (`OB`, `DB`, `SDB`, `FC`,
//!   `SFC`, `FB`, `SFB`), `block_number`, `filesystem`, `upload_id`, `block_error_code`,
//!   `load_memory_length`, `mc7_length`, `block_length`, `block_data_length`, `more_data`;
//! - PLC control and stop: `pi_service`, `pi_service_description`, `pi_parameter`, `blocks`
//!   (`DB1`), `start_type` (`warm`, or `cold` for parameter `C`);
//! - SZL: `szl_id`, `szl_index`, `szl_name` (of the request; `response_szl_id` and
//!   `response_szl_index` when the response names another list), `szl_record_length`,
//!   `szl_record_count`, `szl_fragments` (responses reassembled from several data units); module identification (xy11) as parallel lists `module_indexes`,
//!   `order_numbers`, `module_bgtyp`, `module_ausbg`, `module_ausbe`, `module_versions`
//!   (`V3.2.7` from `Ausbg`/`Ausbe`); component identification (xy1C) `plc_name`,
//!   `module_name`, `plant_id`, `copyright`, `serial_number`, `module_type_name`,
//!   `memory_card_serial`, `location`, `vendor_id`, `oem_id`; 0x0424 `cpu_mode`,
//!   `previous_cpu_mode`, `mode_event`; 0x0131 index 1 `max_pdu_size`, `max_connections`,
//!   `mpi_rate`, `kbus_rate`;
//! - time functions: `clock` (`2024-01-31T12:05:09.250`).
//!
//! Activities: setup → `session`, read var → `read`, write var → `write`, download functions
//! and `_INSE`/`_MODU` → `program_download`, upload functions → `program_upload`, `_DELE` →
//! `program_delete`, PLC stop → `plc_stop`, `P_PROGRAM` → `plc_start` (cold start →
//! `restart`), other PI services → `command`, SZL → `identify`, cyclic data, VarTab, diag
//! data and alarm queries → `monitor`, other programmer commands and block functions →
//! `diagnostics`, time functions → `time_sync`, security → `authentication`.
//!
//! Identity, about the responder: device type `plc` (strong on its first ack_data, stated on
//! identification), from SZL 0x0011 the order number, firmware (index 7), hardware version
//! (index 1 `Ausbg`) and vendor Siemens for Siemens order numbers; from 0x001C the station
//! name as host name, module type name as model, serial number, location and vendor Siemens
//! (from a Siemens copyright; the manufacturer id of index 9 is kept as the number
//! `vendor_id`, a PROFINET vendor id); the mode from 0x0424 and mode transition
//! pushes as `plc_mode`. Identification also yields an `Event::Module` (kind `cpu`, rack and
//! slot from the called TSAP). A PLC password request is a `cleartext_credential` finding:
//! its obfuscation is a fixed XOR.
//!
//! Anomalies: `bad_protocol_id`, `truncated`, `bad_length`, `trailing_data`,
//! `unknown_rosctr`, `bad_item`, `function_mismatch`, `duplicate_pdu_reference`,
//! `too_many_transactions`, `szl_truncated`, `reassembly_overflow`, `fields_dropped`, and the
//! COTP ones.
//!
//! Written by hand: the Rust S7 crates are clients (they build requests and decode the
//! responses they asked for, and give up on the rest); a monitor has to read both sides of
//! any session, including download sequences started by the PLC, without trusting a length.

mod dissector;
mod message;
mod parse;
mod record;
mod szl;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use crate::cotp::{Peek, first_payload};

const PROTOCOL: &str = "s7comm";

/// The S7comm flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: PROTOCOL,
    transports: &[Transport::Tcp],
    ports: &[102],
    probe,
    new: |_| Box::new(dissector::S7Dissector::new(Limits::OT.max_transactions)),
    limits: Limits::OT,
};

/// Recognise an S7comm PDU (0x32 and a known ROSCTR) as the first COTP data, waiting past
/// the connection handshake S7comm shares with S7comm-plus and MMS.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match first_payload(data) {
        Peek::NotCotp => Probe::NotForUs,
        Peek::Handshake => Probe::NeedMore,
        Peek::Payload([parse::PROTOCOL_ID]) => Probe::Certain,
        Peek::Payload([parse::PROTOCOL_ID, 1 | 2 | 3 | 7, ..]) => Probe::Certain,
        Peek::Payload(_) => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_past_the_handshake_for_the_protocol_id() {
        let d = Direction::ToServer;
        let cr = [
            0x03, 0x00, 0x00, 0x16, 0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xc0, 0x01, 0x0a,
            0xc1, 0x02, 0x01, 0x00, 0xc2, 0x02, 0x01, 0x02,
        ];
        assert_eq!(probe(d, &cr), Probe::NeedMore);
        let mut s7 = cr.to_vec();
        s7.extend_from_slice(&[0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x32, 0x01]);
        assert_eq!(probe(d, &s7), Probe::Certain);
        let mut plus = cr.to_vec();
        plus.extend_from_slice(&[0x03, 0x00, 0x00, 0x09, 0x02, 0xf0, 0x80, 0x72, 0x01]);
        assert_eq!(probe(d, &plus), Probe::NotForUs);
        assert_eq!(probe(d, b"\x16\x03\x01"), Probe::NotForUs);
    }
}
