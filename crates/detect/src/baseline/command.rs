//! What a protocol message commands, as the baseline keys it: one small extractor per
//! protocol turns a [`Record`] into a [`Command`] (or an MQTT topic), reading the field names
//! the dissectors emit.
//!
//! The key is `Copy` and holds no strings (S7 block types fit in a [`ShortName`]), so looking
//! a command up in an edge's map allocates nothing. MQTT topics are the exception: they are
//! open text and live in maps of their own, looked up by `&str`.

use rampart_event::{Activity, Record, Value};
use serde::{Deserialize, Serialize};

/// A protocol command on an edge: what a master asked a device to do, keyed the way an
/// analyst would say it (Modbus function 6 on unit 1, DNP3 operate on group 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "protocol", rename_all = "snake_case")]
pub enum Command {
    /// Modbus: function code per unit id; `sub` is the UMAS function (FC 90), the
    /// diagnostics sub-function (FC 8) or the MEI type (FC 43).
    Modbus {
        /// Unit id.
        unit: u8,
        /// Function code.
        function: u8,
        /// Sub-function, where the function has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sub: Option<u16>,
    },
    /// DNP3: application function code per object group.
    Dnp3 {
        /// Function code.
        function: u8,
        /// Object group (none for functions without objects).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<u8>,
    },
    /// S7comm: job function code, or user-data function group and sub-function, with the
    /// block type for block functions.
    S7comm {
        /// Job function code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        function: Option<u8>,
        /// User-data function group.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<u8>,
        /// User-data sub-function.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subfunction: Option<u8>,
        /// Block type (`DB`, `OB`, …).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        block_type: Option<ShortName>,
    },
    /// EtherNet/IP encapsulation command other than a CIP message (ListIdentity, …).
    Enip {
        /// Encapsulation command code.
        command: u16,
    },
    /// CIP: service per class and instance.
    Cip {
        /// Service code.
        service: u8,
        /// Class id.
        class: u32,
        /// Instance id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<u32>,
    },
    /// BACnet: confirmed or unconfirmed service per object type.
    Bacnet {
        /// PDU type (0 confirmed, 1 unconfirmed request).
        pdu_type: u8,
        /// Service choice.
        service: u8,
        /// Object type.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object_type: Option<u16>,
    },
    /// IEC 60870-5-104: ASDU type id per cause of transmission.
    Iec104 {
        /// Type id.
        type_id: u8,
        /// Cause of transmission.
        cot: u8,
    },
    /// OPC UA: service request type id.
    Opcua {
        /// Service type id (the encoding node id).
        service: u32,
    },
}

impl Command {
    /// The protocol the command belongs to, as records name it.
    pub fn protocol(&self) -> &'static str {
        match self {
            Command::Modbus { .. } => "modbus",
            Command::Dnp3 { .. } => "dnp3",
            Command::S7comm { .. } => "s7comm",
            Command::Enip { .. } | Command::Cip { .. } => "enip",
            Command::Bacnet { .. } => "bacnet",
            Command::Iec104 { .. } => "iec104",
            Command::Opcua { .. } => "opcua",
        }
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let opt =
            |name: &str, v: Option<String>| v.map_or(String::new(), |v| format!(" {name} {v}"));
        match *self {
            Command::Modbus {
                unit,
                function,
                sub,
            } => write!(
                f,
                "modbus unit {unit} function {function}{}",
                opt("sub", sub.map(|s| s.to_string()))
            ),
            Command::Dnp3 { function, group } => write!(
                f,
                "dnp3 function {function}{}",
                opt("group", group.map(|g| g.to_string()))
            ),
            Command::S7comm {
                function,
                group,
                subfunction,
                block_type,
            } => write!(
                f,
                "s7comm{}{}{}{}",
                opt("function", function.map(|v| v.to_string())),
                opt("group", group.map(|v| v.to_string())),
                opt("subfunction", subfunction.map(|v| v.to_string())),
                opt("block", block_type.map(|v| v.to_string())),
            ),
            Command::Enip { command } => write!(f, "enip command 0x{command:04x}"),
            Command::Cip {
                service,
                class,
                instance,
            } => write!(
                f,
                "cip service 0x{service:02x} class 0x{class:x}{}",
                opt("instance", instance.map(|v| v.to_string()))
            ),
            Command::Bacnet {
                pdu_type,
                service,
                object_type,
            } => write!(
                f,
                "bacnet {} service {service}{}",
                if pdu_type == 0 {
                    "confirmed"
                } else {
                    "unconfirmed"
                },
                opt("object type", object_type.map(|v| v.to_string()))
            ),
            Command::Iec104 { type_id, cot } => write!(f, "iec104 type {type_id} cot {cot}"),
            Command::Opcua { service } => write!(f, "opcua service {service}"),
        }
    }
}

/// A short ASCII name kept inline (S7 block types), so [`Command`] stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ShortName {
    bytes: [u8; ShortName::CAPACITY],
    len: u8,
}

impl ShortName {
    /// Bytes kept; longer names are cut at a character boundary.
    pub const CAPACITY: usize = 8;

    /// Keep `text`, cut to the capacity.
    pub fn new(text: &str) -> ShortName {
        let mut end = text.len().min(Self::CAPACITY);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0; Self::CAPACITY];
        bytes[..end].copy_from_slice(&text.as_bytes()[..end]);
        ShortName {
            bytes,
            len: end as u8,
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Display for ShortName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for ShortName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl Serialize for ShortName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ShortName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ShortName, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() > Self::CAPACITY {
            return Err(serde::de::Error::custom(format!(
                "name {text:?} is longer than {} bytes",
                Self::CAPACITY
            )));
        }
        Ok(ShortName::new(&text))
    }
}

/// Whether an MQTT client published to a topic or subscribed to a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopicAction {
    /// PUBLISH from the client.
    Publish,
    /// SUBSCRIBE filter.
    Subscribe,
}

impl TopicAction {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TopicAction::Publish => "publish",
            TopicAction::Subscribe => "subscribe",
        }
    }
}

/// An inclusive range of Modbus addresses.
pub type Span = (u16, u16);

/// One thing a record commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed<'a> {
    /// A coded command, with the Modbus address ranges it touches.
    Code {
        /// The command.
        command: Command,
        /// Addresses read or written (Modbus; FC 23 has both).
        spans: [Option<Span>; 2],
    },
    /// An MQTT topic.
    Topic {
        /// Publish or subscribe.
        action: TopicAction,
        /// The topic or filter.
        topic: &'a str,
    },
}

/// Call `out` with every command `record` carries (DNP3 messages carry one per object
/// group, MQTT subscriptions one per filter). Records of other protocols carry none.
pub fn observe<'a>(record: &Record<'a>, out: &mut dyn FnMut(Observed<'a>)) {
    let single = match record.protocol {
        "modbus" => modbus(record),
        "s7comm" => s7comm(record),
        "enip" => enip(record),
        "bacnet" => bacnet(record),
        "iec104" => iec104(record),
        "opcua" => opcua(record),
        "dnp3" => return dnp3(record, out),
        "mqtt" => return mqtt(record, out),
        _ => None,
    };
    if let Some(o) = single {
        out(o);
    }
}

/// True when a command with this activity changes the process or the device: a write, an
/// operate, a configuration or program change, a restart. Those are major when new.
pub fn changes_state(activity: Option<Activity>) -> bool {
    activity.is_some_and(|a| {
        matches!(
            a,
            Activity::Write | Activity::Command | Activity::ConfigChange | Activity::Restart
        ) || a.is_engineering()
    })
}

fn u64_field(record: &Record<'_>, name: &str) -> Option<u64> {
    match crate::facts::field(&record.fields, name)? {
        Value::U64(v) => Some(v),
        _ => None,
    }
}

fn small<T: TryFrom<u64>>(record: &Record<'_>, name: &str) -> Option<T> {
    small_value(crate::facts::field(&record.fields, name))
}

/// A number value that fits `T`.
fn small_value<T: TryFrom<u64>>(value: Option<Value<'_>>) -> Option<T> {
    match value? {
        Value::U64(v) => T::try_from(v).ok(),
        _ => None,
    }
}

/// Each text of a list-like field (`Strs`, `Texts`, or a `List` of `Str`).
fn for_each_text<'a>(value: Option<Value<'a>>, f: &mut dyn FnMut(&'a str)) {
    match value {
        Some(Value::Strs(items)) => items.iter().for_each(|s| f(s)),
        Some(Value::Texts { text, ends }) => {
            let mut start = 0;
            for &end in ends {
                if let Some(item) = text.get(start..end) {
                    f(item);
                }
                start = end;
            }
        }
        Some(Value::List(items)) => items.iter().for_each(|v| {
            if let Value::Str(s) = v {
                f(s);
            }
        }),
        Some(Value::Str(s)) => f(s),
        _ => {}
    }
}

/// The inclusive span `address .. address + quantity - 1`, or `None` for an empty one.
fn span(address: Option<u16>, quantity: Option<u64>) -> Option<Span> {
    let start = address?;
    let quantity = quantity.unwrap_or(1);
    if quantity == 0 {
        return None;
    }
    let end = u64::from(start)
        .saturating_add(quantity - 1)
        .min(u64::from(u16::MAX));
    Some((start, end as u16))
}

/// Modbus: `unit_id`, `function_code`; `umas.function_code`, `sub_function` or `mei_type`;
/// `address` with `quantity` (single writes: one address), or FC 23's `read_address`,
/// `read_quantity`, `write_address`, `write_quantity`.
fn modbus(record: &Record<'_>) -> Option<Observed<'static>> {
    let unit = small::<u8>(record, "unit_id")?;
    let function = small::<u8>(record, "function_code")?;
    let sub = match function {
        90 => match crate::facts::field(&record.fields, "umas") {
            Some(Value::Fields(umas)) => match crate::facts::field(&umas, "function_code") {
                Some(Value::U64(v)) => u16::try_from(v).ok(),
                _ => None,
            },
            _ => None,
        },
        8 => small::<u16>(record, "sub_function"),
        43 => small::<u16>(record, "mei_type"),
        _ => None,
    };
    let spans = match function {
        23 => [
            span(
                small(record, "read_address"),
                u64_field(record, "read_quantity"),
            ),
            span(
                small(record, "write_address"),
                u64_field(record, "write_quantity"),
            ),
        ],
        1..=6 | 15 | 16 | 22 | 24 => {
            // Single writes and FIFO reads name one address; a write-single response echoes
            // the value in `value`, not a quantity.
            let quantity = match function {
                1..=4 | 15 | 16 => u64_field(record, "quantity"),
                _ => Some(1),
            };
            [span(small(record, "address"), quantity), None]
        }
        _ => [None, None],
    };
    Some(Observed::Code {
        command: Command::Modbus {
            unit,
            function,
            sub,
        },
        spans,
    })
}

/// DNP3: `function_code` and the group of each entry of `objects` (`g60v2 class_data …`).
fn dnp3<'a>(record: &Record<'a>, out: &mut dyn FnMut(Observed<'a>)) {
    let Some(function) = small::<u8>(record, "function_code") else {
        return;
    };
    let code = |group| Observed::Code {
        command: Command::Dnp3 { function, group },
        spans: [None, None],
    };
    let mut any = false;
    let mut last = None;
    for_each_text(
        crate::facts::field(&record.fields, "objects"),
        &mut |object| {
            let group = object_group(object);
            // Consecutive objects of one group (g60v1..g60v4) are one command.
            if group.is_some() && group != last {
                out(code(group));
                any = true;
                last = group;
            }
        },
    );
    if !any {
        out(code(None));
    }
}

/// The group of a rendered DNP3 object header: `g60v2 class_data …` is group 60.
fn object_group(object: &str) -> Option<u8> {
    let rest = object.strip_prefix('g')?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}

/// S7comm: `function_code` for jobs, `function_group` and `subfunction` for user data;
/// `block_type`, or the type of the first of `blocks` (`DB1`).
fn s7comm(record: &Record<'_>) -> Option<Observed<'static>> {
    let [function, group, subfunction, block_type, blocks] =
        crate::facts::gather(&record.fields, |name| match name {
            "function_code" => Some(0),
            "function_group" => Some(1),
            "subfunction" => Some(2),
            "block_type" => Some(3),
            "blocks" => Some(4),
            _ => None,
        });
    let function = small_value::<u8>(function);
    let group = small_value::<u8>(group);
    let subfunction = small_value::<u8>(subfunction);
    if function.is_none() && group.is_none() {
        return None;
    }
    let block_type = match block_type {
        Some(Value::Str(t)) => Some(ShortName::new(t)),
        _ => {
            let mut first = None;
            for_each_text(blocks, &mut |b| {
                if first.is_none() {
                    let letters = b.trim_end_matches(|c: char| c.is_ascii_digit());
                    first = (!letters.is_empty()).then(|| ShortName::new(letters));
                }
            });
            first
        }
    };
    Some(Observed::Code {
        command: Command::S7comm {
            function,
            group,
            subfunction,
            block_type,
        },
        spans: [None, None],
    })
}

/// EtherNet/IP: records of kind `cip` give `service_code`, `class_id`, `instance_id`; other
/// kinds the encapsulation `command_code`.
fn enip(record: &Record<'_>) -> Option<Observed<'static>> {
    let command = if record.kind == "cip" {
        let [service, class, instance] = crate::facts::gather(&record.fields, |name| match name {
            "service_code" => Some(0),
            "class_id" => Some(1),
            "instance_id" => Some(2),
            _ => None,
        });
        Command::Cip {
            service: small_value(service)?,
            class: small_value(class)?,
            instance: small_value(instance),
        }
    } else {
        Command::Enip {
            command: small(record, "command_code")?,
        }
    };
    Some(Observed::Code {
        command,
        spans: [None, None],
    })
}

/// BACnet: confirmed and unconfirmed requests give `pdu_type_code`, `service_choice` and
/// `object_type_code`.
fn bacnet(record: &Record<'_>) -> Option<Observed<'static>> {
    if !matches!(record.kind, "confirmed_request" | "unconfirmed_request") {
        return None;
    }
    let [pdu_type, service, object_type] =
        crate::facts::gather(&record.fields, |name| match name {
            "pdu_type_code" => Some(0),
            "service_choice" => Some(1),
            "object_type_code" => Some(2),
            _ => None,
        });
    Some(Observed::Code {
        command: Command::Bacnet {
            pdu_type: small_value(pdu_type)?,
            service: small_value(service)?,
            object_type: small_value(object_type),
        },
        spans: [None, None],
    })
}

/// IEC 104: I-format ASDUs give `type_id` and `cot`.
fn iec104(record: &Record<'_>) -> Option<Observed<'static>> {
    if record.kind != "i_format" {
        return None;
    }
    Some(Observed::Code {
        command: Command::Iec104 {
            type_id: small(record, "type_id")?,
            cot: small(record, "cot")?,
        },
        spans: [None, None],
    })
}

/// OPC UA: service messages give `service_type_id`.
fn opcua(record: &Record<'_>) -> Option<Observed<'static>> {
    if record.kind != "service" {
        return None;
    }
    Some(Observed::Code {
        command: Command::Opcua {
            service: small(record, "service_type_id")?,
        },
        spans: [None, None],
    })
}

/// MQTT: a client's PUBLISH gives `topic`, a SUBSCRIBE each of `topics`. Deliveries from
/// the broker follow subscriptions and are not commands of the client.
fn mqtt<'a>(record: &Record<'a>, out: &mut dyn FnMut(Observed<'a>)) {
    if record.direction == Some(rampart_event::Direction::ToClient) {
        return;
    }
    let action = match record.kind {
        "publish" => TopicAction::Publish,
        "subscribe" => TopicAction::Subscribe,
        _ => return,
    };
    let field = if action == TopicAction::Publish {
        "topic"
    } else {
        "topics"
    };
    for_each_text(record.fields.get(field), &mut |topic| {
        out(Observed::Topic { action, topic })
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::{Direction, Fields};

    fn record<'a>(
        protocol: &'a str,
        kind: &'a str,
        fields: &'a [(&'a str, Value<'a>)],
    ) -> Record<'a> {
        Record {
            protocol,
            kind,
            direction: None,
            activity: None,
            fields: Fields(fields),
        }
    }

    fn all<'a>(r: &Record<'a>) -> Vec<Observed<'a>> {
        let mut v = Vec::new();
        observe(r, &mut |o| v.push(o));
        v
    }

    fn code(command: Command) -> Observed<'static> {
        Observed::Code {
            command,
            spans: [None, None],
        }
    }

    #[test]
    fn modbus_reads_key_on_unit_and_function_with_the_address_span() {
        // As the golden modbus-example-zeek: read_holding_registers unit 4 address 1 quantity 8.
        let f = [
            ("tid", Value::U64(6)),
            ("unit_id", Value::U64(4)),
            ("function_code", Value::U64(3)),
            ("function", Value::Str("read_holding_registers")),
            ("address", Value::U64(1)),
            ("quantity", Value::U64(8)),
        ];
        assert_eq!(
            all(&record("modbus", "read_holding_registers", &f)),
            vec![Observed::Code {
                command: Command::Modbus {
                    unit: 4,
                    function: 3,
                    sub: None
                },
                spans: [Some((1, 8)), None],
            }]
        );
    }

    #[test]
    fn modbus_single_writes_touch_one_address_and_fc23_two_spans() {
        let single = [
            ("unit_id", Value::U64(7)),
            ("function_code", Value::U64(6)),
            ("address", Value::U64(10)),
            ("value", Value::U64(43981)),
        ];
        let Observed::Code { spans, .. } =
            all(&record("modbus", "write_single_register", &single))[0]
        else {
            panic!("a code");
        };
        assert_eq!(spans, [Some((10, 10)), None]);
        let rw = [
            ("unit_id", Value::U64(6)),
            ("function_code", Value::U64(23)),
            ("read_address", Value::U64(1)),
            ("read_quantity", Value::U64(2)),
            ("write_address", Value::U64(100)),
            ("write_quantity", Value::U64(3)),
        ];
        let Observed::Code { spans, .. } =
            all(&record("modbus", "read_write_multiple_registers", &rw))[0]
        else {
            panic!("a code");
        };
        assert_eq!(spans, [Some((1, 2)), Some((100, 102))]);
    }

    #[test]
    fn modbus_umas_keys_on_the_umas_function() {
        let umas = [("function_code", Value::U64(65))];
        let f = [
            ("unit_id", Value::U64(1)),
            ("function_code", Value::U64(90)),
            ("umas", Value::Fields(Fields(&umas))),
        ];
        assert_eq!(
            all(&record("modbus", "umas", &f)),
            vec![code(Command::Modbus {
                unit: 1,
                function: 90,
                sub: Some(65)
            })]
        );
    }

    #[test]
    fn dnp3_gives_one_command_per_object_group() {
        let objects = [
            Value::Str("g60v2 class_data qualifier=0x06 all"),
            Value::Str("g60v3 class_data qualifier=0x06 all"),
            Value::Str("g12v1 binary_output_command qualifier=0x28 count=1"),
        ];
        let f = [
            ("function_code", Value::U64(1)),
            ("objects", Value::List(&objects)),
        ];
        let groups: Vec<_> = all(&record("dnp3", "transaction", &f));
        assert_eq!(
            groups,
            vec![
                code(Command::Dnp3 {
                    function: 1,
                    group: Some(60)
                }),
                code(Command::Dnp3 {
                    function: 1,
                    group: Some(12)
                }),
            ]
        );
        let none = [
            ("function_code", Value::U64(0)),
            ("objects", Value::Strs(&[])),
        ];
        assert_eq!(
            all(&record("dnp3", "confirm", &none)),
            vec![code(Command::Dnp3 {
                function: 0,
                group: None
            })]
        );
        let texts = [
            ("function_code", Value::U64(2)),
            (
                "objects",
                Value::Texts {
                    text: "g80v1 internal_indications qualifier=0x00 range=7-7",
                    ends: &[51],
                },
            ),
        ];
        assert_eq!(
            all(&record("dnp3", "transaction", &texts)),
            vec![code(Command::Dnp3 {
                function: 2,
                group: Some(80)
            })]
        );
    }

    #[test]
    fn s7comm_keys_jobs_user_data_and_block_types() {
        let download = [
            ("function_code", Value::U64(27)),
            ("block_type", Value::Str("DB")),
        ];
        assert_eq!(
            all(&record("s7comm", "download_block", &download)),
            vec![code(Command::S7comm {
                function: Some(27),
                group: None,
                subfunction: None,
                block_type: Some(ShortName::new("DB")),
            })]
        );
        let blocks = [Value::Str("FB4")];
        let control = [
            ("function_code", Value::U64(40)),
            ("blocks", Value::List(&blocks)),
        ];
        let Observed::Code { command, .. } = all(&record("s7comm", "plc_control", &control))[0]
        else {
            panic!("a code");
        };
        assert_eq!(
            command,
            Command::S7comm {
                function: Some(40),
                group: None,
                subfunction: None,
                block_type: Some(ShortName::new("FB")),
            }
        );
        let szl = [
            ("function_group", Value::U64(4)),
            ("subfunction", Value::U64(1)),
        ];
        assert_eq!(
            all(&record("s7comm", "read_szl", &szl)),
            vec![code(Command::S7comm {
                function: None,
                group: Some(4),
                subfunction: Some(1),
                block_type: None,
            })]
        );
        assert!(
            all(&record(
                "s7comm",
                "cotp_connect",
                &[("rack", Value::U64(0))]
            ))
            .is_empty()
        );
    }

    #[test]
    fn enip_keys_cip_paths_and_encapsulation_commands() {
        let cip = [
            ("command_code", Value::U64(111)),
            ("service_code", Value::U64(1)),
            ("class_id", Value::U64(100)),
            ("instance_id", Value::U64(1)),
        ];
        assert_eq!(
            all(&record("enip", "cip", &cip)),
            vec![code(Command::Cip {
                service: 1,
                class: 100,
                instance: Some(1)
            })]
        );
        let list = [("command_code", Value::U64(99))];
        assert_eq!(
            all(&record("enip", "list_identity", &list)),
            vec![code(Command::Enip { command: 99 })]
        );
    }

    #[test]
    fn bacnet_iec104_and_opcua_key_their_services() {
        let bacnet = [
            ("pdu_type_code", Value::U64(0)),
            ("service_choice", Value::U64(12)),
            ("object_type_code", Value::U64(8)),
        ];
        assert_eq!(
            all(&record("bacnet", "confirmed_request", &bacnet)),
            vec![code(Command::Bacnet {
                pdu_type: 0,
                service: 12,
                object_type: Some(8)
            })]
        );
        assert!(
            all(&record(
                "bacnet",
                "bvlc",
                &[("bvlc_function_code", Value::U64(2))]
            ))
            .is_empty()
        );
        let asdu = [("type_id", Value::U64(58)), ("cot", Value::U64(6))];
        assert_eq!(
            all(&record("iec104", "i_format", &asdu)),
            vec![code(Command::Iec104 {
                type_id: 58,
                cot: 6
            })]
        );
        assert!(all(&record("iec104", "u_format", &[("u_code", Value::U64(1))])).is_empty());
        let ua = [("service_type_id", Value::U64(712))];
        assert_eq!(
            all(&record("opcua", "service", &ua)),
            vec![code(Command::Opcua { service: 712 })]
        );
    }

    #[test]
    fn mqtt_gives_published_topics_and_subscription_filters_of_the_client() {
        let publish = [("topic", Value::Str("plant/line1/tank1/temperature"))];
        let mut r = record("mqtt", "publish", &publish);
        r.direction = Some(Direction::ToServer);
        assert_eq!(
            all(&r),
            vec![Observed::Topic {
                action: TopicAction::Publish,
                topic: "plant/line1/tank1/temperature"
            }]
        );
        r.direction = Some(Direction::ToClient);
        assert!(
            all(&r).is_empty(),
            "deliveries from the broker are not the client's"
        );
        let subscribe = [(
            "topics",
            Value::Texts {
                text: "plant/#$SYS/",
                ends: &[7, 12],
            },
        )];
        let mut s = record("mqtt", "subscribe", &subscribe);
        s.direction = Some(Direction::ToServer);
        let topics: Vec<_> = all(&s)
            .into_iter()
            .map(|o| match o {
                Observed::Topic { topic, .. } => topic,
                Observed::Code { .. } => "",
            })
            .collect();
        assert_eq!(topics, vec!["plant/#", "$SYS/"]);
    }

    #[test]
    fn commands_round_trip_through_json() {
        let c = Command::S7comm {
            function: Some(27),
            group: None,
            subfunction: None,
            block_type: Some(ShortName::new("SDB")),
        };
        let text = serde_json::to_string(&c).expect("serialises");
        assert_eq!(
            text,
            r#"{"protocol":"s7comm","function":27,"block_type":"SDB"}"#
        );
        assert_eq!(serde_json::from_str::<Command>(&text).expect("parses"), c);
        assert_eq!(ShortName::new("ABCDEFGHIJ").as_str(), "ABCDEFGH");
        assert!(serde_json::from_str::<ShortName>("\"ABCDEFGHIJ\"").is_err());
    }

    #[test]
    fn writes_commands_and_engineering_change_state() {
        assert!(changes_state(Some(Activity::Write)));
        assert!(changes_state(Some(Activity::ProgramDownload)));
        assert!(changes_state(Some(Activity::Command)));
        assert!(!changes_state(Some(Activity::Read)));
        assert!(!changes_state(None));
    }
}
