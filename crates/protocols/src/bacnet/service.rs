//! Service parameters (ASHRAE 135 clauses 13–17, 21) read into a reusable [`Details`].
//!
//! Each service's parameters are a sequence of tags; the decoders below pick out what a
//! monitor records (objects, properties, values, device identity, passwords' presence) and
//! walk everything else, so that a malformed encoding anywhere is noticed. Values are
//! rendered as bounded text into buffers that the dissector keeps from message to message.

use std::fmt::Write as _;
use std::ops::Range;

use super::message::{ConfirmedService, ObjectId, PropertyId, UnconfirmedService};
use super::parse::BacnetError;
use super::tag::{self, Bounded, Class, MAX_DEPTH, Shape, Tag, Tags, Value, app};
use crate::text_list::TextList;

/// Items (properties of a ReadPropertyMultiple, values of a notification) listed per message.
pub const MAX_ITEMS: usize = 64;
/// Device-object properties kept per message for identity.
const MAX_IDENTITY: usize = 16;
/// Property values of an unexpected type reported per message.
const MAX_MISMATCHES: usize = 4;

/// Which parameters a PDU carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// A confirmed service request.
    Request(ConfirmedService),
    /// An unconfirmed service request.
    Unconfirmed(UnconfirmedService),
    /// A ComplexACK's service ACK.
    Ack(ConfirmedService),
    /// An Error PDU's parameters.
    Error(ConfirmedService),
}

/// A property value whose type the standard fixes, found with another type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// The property.
    pub property: PropertyId,
    /// The application tag the standard calls for.
    pub expected: u8,
    /// What was found: an application tag number, or `None` for a context or opening tag.
    pub found: Option<u8>,
    /// Where the value starts in the datagram.
    pub offset: usize,
}

/// What one PDU's parameters say, in buffers reused from message to message.
#[derive(Debug, Default)]
pub struct Details {
    /// The object the service is about.
    pub object: Option<ObjectId>,
    /// The property the service is about.
    pub property: Option<PropertyId>,
    /// The property array index.
    pub array_index: Option<u64>,
    /// The property's value, rendered.
    pub value: String,
    /// Whether a value was present.
    pub has_value: bool,
    /// The write priority (1–16).
    pub write_priority: Option<u64>,
    /// Listed items: `object property[index]`, with ` = value` or ` error class/code` in
    /// ACKs and notifications.
    pub items: TextList,
    /// Items seen, including those past [`MAX_ITEMS`].
    pub item_count: usize,
    /// The device named: I-Am's and I-Have's device, a notification's initiating device.
    pub device: Option<ObjectId>,
    /// I-Am: max APDU length accepted.
    pub max_apdu: Option<u64>,
    /// I-Am: segmentation supported.
    pub segmentation: Option<u64>,
    /// Vendor identifier (I-Am, Who-Am-I, You-Are, private transfer).
    pub vendor_id: Option<u64>,
    /// Who-Is / Who-Has device instance range.
    pub low_limit: Option<u64>,
    /// Upper end of the range.
    pub high_limit: Option<u64>,
    /// An object name: Who-Has's and I-Have's, or the object-name property's value.
    pub object_name: String,
    /// ReinitializeDevice state.
    pub state: Option<u64>,
    /// DeviceCommunicationControl enable-disable.
    pub enable_disable: Option<u64>,
    /// DeviceCommunicationControl duration, minutes.
    pub duration: Option<u64>,
    /// Where the password's characters are in the datagram, when one was given.
    pub password: Option<Range<usize>>,
    /// Time synchronisation: the date and time sent.
    pub time: String,
    /// Atomic file access: `stream` or `record`.
    pub file_access: Option<&'static str>,
    /// File start position or record.
    pub file_start: Option<i64>,
    /// Octets or records requested, or octets carried.
    pub file_count: Option<u64>,
    /// AtomicReadFile ACK: end of file.
    pub end_of_file: Option<bool>,
    /// Error class.
    pub error_class: Option<u64>,
    /// Error code.
    pub error_code: Option<u64>,
    /// Private transfer service number.
    pub service_number: Option<u64>,
    /// Subscriber or process identifier.
    pub process_id: Option<u64>,
    /// Text of a text message, an event notification, or an alarm acknowledgement source.
    pub message: String,
    /// Who-Am-I / You-Are model name.
    pub model_name: String,
    /// Who-Am-I / You-Are serial number.
    pub serial_number: String,
    /// Event notification: event type and new state.
    pub event_type: Option<u64>,
    /// Event notification: the state entered.
    pub to_state: Option<u64>,
    /// Character-string properties of a device object: which property, for each entry of
    /// `identity_values`.
    pub identity_properties: Vec<PropertyId>,
    /// Their values.
    pub identity_values: TextList,
    /// Values of the wrong type for their property.
    pub mismatches: Vec<Mismatch>,
    /// Object names found in property values (ReadPropertyMultiple ACKs can hold several).
    pub object_names: TextList,
    /// The object of the list being read (ReadPropertyMultiple, WritePropertyMultiple).
    cursor: Option<ObjectId>,
    /// Where list items' values are rendered before they join their item.
    scratch: String,
}

impl Details {
    /// Forget the previous message, keeping the memory.
    pub fn clear(&mut self) {
        let Details {
            object,
            property,
            array_index,
            value,
            has_value,
            write_priority,
            items,
            item_count,
            device,
            max_apdu,
            segmentation,
            vendor_id,
            low_limit,
            high_limit,
            object_name,
            state,
            enable_disable,
            duration,
            password,
            time,
            file_access,
            file_start,
            file_count,
            end_of_file,
            error_class,
            error_code,
            service_number,
            process_id,
            message,
            model_name,
            serial_number,
            event_type,
            to_state,
            identity_properties,
            identity_values,
            mismatches,
            object_names,
            cursor,
            scratch,
        } = self;
        *cursor = None;
        scratch.clear();
        (*object, *property, *array_index, *device) = (None, None, None, None);
        (*has_value, *item_count) = (false, 0);
        for n in [
            write_priority,
            max_apdu,
            segmentation,
            vendor_id,
            low_limit,
            high_limit,
            state,
            enable_disable,
            duration,
            file_count,
            error_class,
            error_code,
            service_number,
            process_id,
            event_type,
            to_state,
        ] {
            *n = None;
        }
        (*password, *file_access, *file_start, *end_of_file) = (None, None, None, None);
        for s in [value, object_name, time, message, model_name, serial_number] {
            s.clear();
        }
        items.clear();
        identity_values.clear();
        object_names.clear();
        identity_properties.clear();
        mismatches.clear();
    }
}

/// Read the parameters of `body` from `tags` into `d` (cleared by the caller). Returns the
/// first problem found; what was read before it stays in `d`.
pub fn decode(body: Body, tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    match body {
        Body::Request(s) => request(s, tags, d),
        Body::Unconfirmed(s) => unconfirmed(s, tags, d),
        Body::Ack(s) => ack(s, tags, d),
        Body::Error(_) => error(tags, d),
    }
}

fn unexpected(service: &'static str, expected: &'static str, tags: &Tags<'_>) -> BacnetError {
    BacnetError::Unexpected {
        service,
        expected,
        offset: tags.offset(),
    }
}

/// Read the next tag as an application tag of type `number`.
fn application<'a>(
    tags: &mut Tags<'a>,
    number: u8,
    service: &'static str,
    expected: &'static str,
) -> Result<Tag<'a>, BacnetError> {
    match tags.peek()? {
        Some(t) if t.class == Class::Application && t.number == number => tags.expect(expected),
        _ => Err(unexpected(service, expected, tags)),
    }
}

/// Read an optional application tag of type `number`.
fn optional_application<'a>(
    tags: &mut Tags<'a>,
    number: u8,
) -> Result<Option<Tag<'a>>, BacnetError> {
    match tags.peek()? {
        Some(t) if t.class == Class::Application && t.number == number => tags.next_tag(),
        _ => Ok(None),
    }
}

/// Fail if anything follows the last parameter of a fixed-shape service.
fn end(tags: &Tags<'_>) -> Result<(), BacnetError> {
    if tags.is_empty() {
        Ok(())
    } else {
        Err(BacnetError::TrailingData {
            offset: tags.offset(),
            len: tags.remaining(),
        })
    }
}

/// Write a character string tag's text into `out` (bounded).
fn characters(t: &Tag<'_>, out: &mut String) {
    if let Some((&charset, text)) = t.contents().split_first() {
        let _ = tag::write_characters(charset, text, &mut Bounded::new(out));
    }
}

/// Walk the parameters at depth 0: `primitive` sees every primitive tag, `constructed` every
/// opening tag and says whether it read the construction (else it is skipped).
fn walk<'a>(
    tags: &mut Tags<'a>,
    d: &mut Details,
    mut primitive: impl FnMut(&Tag<'a>, &mut Details),
    mut constructed: impl FnMut(u8, &mut Tags<'a>, &mut Details) -> Result<bool, BacnetError>,
) -> Result<(), BacnetError> {
    while let Some(t) = tags.next_tag()? {
        match t.shape {
            Shape::Primitive { .. } => primitive(&t, d),
            Shape::Opening => {
                if !constructed(t.number, tags, d)? {
                    tags.skip_constructed(t.number)?;
                }
            }
            Shape::Closing => {
                return Err(BacnetError::StrayClosing {
                    offset: t.offset,
                    closed: t.number,
                });
            }
        }
    }
    Ok(())
}

/// Walk parameters without picking anything out.
fn skim(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    walk(tags, d, |_, _| {}, |_, _, _| Ok(false))
}

/// Where a primitive context-tagged parameter goes in [`Details`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Process,
    Object,
    Device,
    Property,
    Index,
    Low,
    High,
    Name,
    Message,
    State,
    Duration,
    Enable,
    Password,
    Vendor,
    ServiceNumber,
    EventType,
    ToState,
    Priority,
}

/// Put a parameter in its slot.
fn store(slot: Slot, t: &Tag<'_>, d: &mut Details) {
    match slot {
        Slot::Process => d.process_id = t.unsigned(),
        Slot::Object => d.object = t.object_id(),
        Slot::Device => d.device = t.object_id(),
        Slot::Property => d.property = t.unsigned().map(|p| PropertyId(p as u32)),
        Slot::Index => d.array_index = t.unsigned(),
        Slot::Low => d.low_limit = t.unsigned(),
        Slot::High => d.high_limit = t.unsigned(),
        Slot::Name => characters(t, &mut d.object_name),
        Slot::Message => characters(t, &mut d.message),
        Slot::State => d.state = t.unsigned(),
        Slot::Duration => d.duration = t.unsigned(),
        Slot::Enable => d.enable_disable = t.unsigned(),
        Slot::Password => d.password = password(t),
        Slot::Vendor => d.vendor_id = t.unsigned(),
        Slot::ServiceNumber => d.service_number = t.unsigned(),
        Slot::EventType => d.event_type = t.unsigned(),
        Slot::ToState => d.to_state = t.unsigned(),
        Slot::Priority => d.write_priority = t.unsigned(),
    }
}

/// Put the primitive context tag `t` in the slot `slots` gives its number, if any.
fn store_in(slots: &[(u8, Slot)], t: &Tag<'_>, d: &mut Details) {
    if let Some(&(_, slot)) = slots.iter().find(|&&(n, _)| t.is_context(n)) {
        store(slot, t, d);
    }
}

/// Walk the parameters, putting the context tags listed in `slots` in their slots.
fn pick(tags: &mut Tags<'_>, d: &mut Details, slots: &[(u8, Slot)]) -> Result<(), BacnetError> {
    walk(tags, d, |t, d| store_in(slots, t, d), |_, _, _| Ok(false))
}

/// Object [0], property [1] and index [2], as the property services encode them.
const OBJECT_PROPERTY: &[(u8, Slot)] = &[(0, Slot::Object), (1, Slot::Property), (2, Slot::Index)];

fn request(s: ConfirmedService, tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    let name = s.name().unwrap_or("confirmed service");
    match s.0 {
        // acknowledgeAlarm (13.5.1).
        0 => pick(
            tags,
            d,
            &[(0, Slot::Process), (1, Slot::Object), (4, Slot::Message)],
        ),
        1 => cov_notification(tags, d),
        2 => event_notification(tags, d),
        // subscribeCOV (13.14.1) and subscribeCOVProperty (13.15.1).
        5 | 28 => walk(
            tags,
            d,
            |t, d| store_in(&[(0, Slot::Process), (1, Slot::Object)], t, d),
            |n, tags, d| {
                if n != 4 {
                    return Ok(false);
                }
                // monitoredPropertyIdentifier: BACnetPropertyReference.
                while let Some(t) = tags.peek()? {
                    if t.closes(4) {
                        tags.next_tag()?;
                        return Ok(true);
                    }
                    let t = tags.expect("property reference")?;
                    store_in(&[(0, Slot::Property), (1, Slot::Index)], &t, d);
                }
                Err(unexpected(name, "closing tag 4", tags))
            },
        ),
        6 => atomic_read_file(tags, d),
        7 => atomic_write_file(tags, d),
        // addListElement, removeListElement (15.1.1, 15.2.1): the list is the value.
        8 | 9 => property_value(tags, d, 3, None),
        10 => create_object(tags, d),
        11 => {
            let t = application(tags, app::OBJECT_ID, name, "object identifier")?;
            d.object = t.object_id();
            end(tags)
        }
        // readProperty (15.5.1), readRange (15.8.1).
        12 | 26 => pick(tags, d, OBJECT_PROPERTY),
        14 => read_multiple(tags, d),
        // writeProperty (15.9.1).
        15 => property_value(tags, d, 3, Some(4)),
        16 => write_multiple(tags, d),
        // deviceCommunicationControl (16.1.1).
        17 => pick(
            tags,
            d,
            &[(0, Slot::Duration), (1, Slot::Enable), (2, Slot::Password)],
        ),
        18 => private_transfer(tags, d),
        19 => text_message(tags, d),
        // reinitializeDevice (16.4.1).
        20 => pick(tags, d, &[(0, Slot::State), (1, Slot::Password)]),
        // lifeSafetyOperation (13.13.1).
        27 => pick(
            tags,
            d,
            &[
                (0, Slot::Process),
                (1, Slot::Message),
                (2, Slot::State),
                (3, Slot::Object),
            ],
        ),
        // getEventInformation (13.12.1): the last object received.
        29 => pick(tags, d, &[(0, Slot::Object)]),
        31 => cov_notification_multiple(tags, d),
        _ => skim(tags, d),
    }
}

fn unconfirmed(
    s: UnconfirmedService,
    tags: &mut Tags<'_>,
    d: &mut Details,
) -> Result<(), BacnetError> {
    let name = s.name().unwrap_or("unconfirmed service");
    match s.0 {
        // i-Am (16.10.3).
        0 => {
            d.device = application(tags, app::OBJECT_ID, name, "device identifier")?.object_id();
            d.max_apdu = application(tags, app::UNSIGNED, name, "max APDU length")?.unsigned();
            d.segmentation =
                application(tags, app::ENUMERATED, name, "segmentation supported")?.unsigned();
            d.vendor_id = application(tags, app::UNSIGNED, name, "vendor id")?.unsigned();
            end(tags)
        }
        // i-Have (16.9.3).
        1 => {
            d.device = application(tags, app::OBJECT_ID, name, "device identifier")?.object_id();
            d.object = application(tags, app::OBJECT_ID, name, "object identifier")?.object_id();
            let t = application(tags, app::CHARACTER_STRING, name, "object name")?;
            characters(&t, &mut d.object_name);
            end(tags)
        }
        2 => cov_notification(tags, d),
        11 => cov_notification_multiple(tags, d),
        3 => event_notification(tags, d),
        4 => private_transfer(tags, d),
        5 => text_message(tags, d),
        // timeSynchronization, utcTimeSynchronization (16.7.1, 16.8.1).
        6 | 9 => {
            let date = application(tags, app::DATE, name, "date")?.value();
            let time = application(tags, app::TIME, name, "time")?.value();
            let mut w = Bounded::new(&mut d.time);
            let _ = tag::write_value(&date, &mut w);
            let _ = w.write_char(' ');
            let _ = tag::write_value(&time, &mut w);
            end(tags)
        }
        // who-Has (16.9.1).
        7 => pick(
            tags,
            d,
            &[
                (0, Slot::Low),
                (1, Slot::High),
                (2, Slot::Object),
                (3, Slot::Name),
            ],
        ),
        // who-Is (16.10.1).
        8 => pick(tags, d, &[(0, Slot::Low), (1, Slot::High)]),
        // writeGroup (15.11.1).
        10 => pick(tags, d, &[(0, Slot::Process), (1, Slot::Priority)]),
        // who-Am-I (16.11.1) and you-Are (16.11.2): vendor, model name, serial number.
        13 | 14 => {
            d.vendor_id = application(tags, app::UNSIGNED, name, "vendor id")?.unsigned();
            let model = application(tags, app::CHARACTER_STRING, name, "model name")?;
            characters(&model, &mut d.model_name);
            let serial = application(tags, app::CHARACTER_STRING, name, "serial number")?;
            characters(&serial, &mut d.serial_number);
            if let Some(t) = optional_application(tags, app::OBJECT_ID)? {
                d.device = t.object_id();
            }
            optional_application(tags, app::OCTET_STRING)?;
            end(tags)
        }
        _ => skim(tags, d),
    }
}

fn ack(s: ConfirmedService, tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    let name = s.name().unwrap_or("confirmed service");
    match s.0 {
        // atomicReadFile-ACK (14.1.2).
        6 => {
            let eof = application(tags, app::BOOLEAN, name, "end of file")?;
            d.end_of_file = Some(matches!(eof.value(), Value::Boolean(true)));
            file_access(tags, d, name)
        }
        // atomicWriteFile-ACK (14.2.2): [0] or [1] start.
        7 => walk(
            tags,
            d,
            |t, d| {
                if t.is_context(0) || t.is_context(1) {
                    d.file_access = Some(if t.number == 0 { "stream" } else { "record" });
                    d.file_start = tag::signed(t.contents());
                }
            },
            |_, _, _| Ok(false),
        ),
        // createObject-ACK (15.3.2).
        10 => {
            d.object = application(tags, app::OBJECT_ID, name, "object identifier")?.object_id();
            end(tags)
        }
        // readProperty-ACK (15.5.2).
        12 => property_value(tags, d, 3, None),
        14 => read_multiple_ack(tags, d),
        // readRange-ACK (15.8.2): object and property.
        26 => pick(tags, d, OBJECT_PROPERTY),
        18 => private_transfer(tags, d),
        _ => skim(tags, d),
    }
}

/// Read an Error PDU's error class and code (18, 21): plain, or the first thing inside a
/// [0] construction for the services whose errors carry more.
fn error(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    let wrapped = tags.open(0)?;
    let class = application(tags, app::ENUMERATED, "error", "error class")?;
    let code = application(tags, app::ENUMERATED, "error", "error code")?;
    d.error_class = class.unsigned();
    d.error_code = code.unsigned();
    if wrapped {
        match tags.expect("closing tag 0")? {
            t if t.closes(0) => {}
            _ => return Err(unexpected("error", "closing tag 0", tags)),
        }
    }
    skim(tags, d)
}

/// Keep a password's location; the password itself never leaves the dissector.
fn password(t: &Tag<'_>) -> Option<Range<usize>> {
    // The characters follow the character-set octet.
    let len = t.contents().len();
    (len > 0).then(|| t.contents_offset + 1..t.contents_offset + len)
}

/// Read a value construction (after its opening tag `n`) into `out`, and check its first
/// element against what `property` calls for. Returns where the value started.
fn value<'a>(
    tags: &mut Tags<'a>,
    n: u8,
    property: Option<PropertyId>,
    object: Option<ObjectId>,
    out: ValueOut,
    d: &mut Details,
) -> Result<(), BacnetError> {
    let start = tags.offset();
    let mut depth = 0usize;
    let mut first = true;
    let mut count = 0usize;
    let mut top_level = 0usize;
    let mut text_start = None;
    let mut buf = std::mem::take(match out {
        ValueOut::Value => &mut d.value,
        ValueOut::Scratch => &mut d.scratch,
    });
    let mark = buf.len();
    let result = (|| {
        let mut w = Bounded::new(&mut buf);
        loop {
            let t = tags.expect("closing tag")?;
            if depth == 0 && first {
                first = false;
                check_type(&t, property, start, d);
            }
            match t.shape {
                Shape::Opening => {
                    if depth == 0 {
                        top_level += 1;
                    }
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(BacnetError::TooDeep {
                            offset: t.offset,
                            depth: MAX_DEPTH,
                        });
                    }
                    if count > 0 {
                        let _ = w.write_str(", ");
                    }
                    let _ = w.write_char('{');
                    count = 0;
                }
                Shape::Closing if depth == 0 => {
                    if t.number != n {
                        return Err(BacnetError::Unbalanced {
                            offset: t.offset,
                            opened: n,
                            closed: t.number,
                        });
                    }
                    return Ok(());
                }
                Shape::Closing => {
                    depth -= 1;
                    let _ = w.write_char('}');
                    count = 1;
                }
                Shape::Primitive { .. } => {
                    if count > 0 {
                        let _ = w.write_str(", ");
                    }
                    if depth == 0 {
                        top_level += 1;
                        text_start = (top_level == 1
                            && t.class == Class::Application
                            && t.number == app::CHARACTER_STRING)
                            .then_some(());
                    }
                    let _ = tag::write_value(&t.value(), &mut w);
                    count += 1;
                }
            }
        }
    })();
    let single_text = text_start.is_some() && top_level == 1;
    if let (true, Some(p), Some(text)) = (result.is_ok() && single_text, property, buf.get(mark..))
    {
        remember_text(p, object, text, d);
    }
    match out {
        ValueOut::Value => d.value = buf,
        ValueOut::Scratch => d.scratch = buf,
    }
    result
}

/// Where [`value`] renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueOut {
    /// Into `Details::value`.
    Value,
    /// Into `Details::scratch`, for list items.
    Scratch,
}

/// Keep what a character-string value says of its object: object names, and the identity
/// properties of a device object.
fn remember_text(p: PropertyId, object: Option<ObjectId>, text: &str, d: &mut Details) {
    if p == PropertyId::OBJECT_NAME && d.object_names.len() < MAX_ITEMS {
        d.object_names.push(text);
    }
    let identity = matches!(
        p,
        PropertyId::APPLICATION_SOFTWARE_VERSION
            | PropertyId::DESCRIPTION
            | PropertyId::FIRMWARE_REVISION
            | PropertyId::LOCATION
            | PropertyId::MODEL_NAME
            | PropertyId::OBJECT_NAME
            | PropertyId::VENDOR_NAME
            | PropertyId::SERIAL_NUMBER
    );
    if identity
        && object.is_some_and(ObjectId::is_device)
        && d.identity_properties.len() < MAX_IDENTITY
    {
        d.identity_properties.push(p);
        d.identity_values.push(text);
    }
}

/// Note a value whose first element is not of the type its property calls for.
fn check_type(t: &Tag<'_>, property: Option<PropertyId>, start: usize, d: &mut Details) {
    let Some(p) = property else {
        return;
    };
    let Some(expected) = p.expected_tag() else {
        return;
    };
    let found = match (t.class, t.shape) {
        (Class::Application, Shape::Primitive { .. }) => Some(t.number),
        _ => None,
    };
    // The closing tag of an empty list is an empty value, not a wrong one.
    if found != Some(expected) && t.shape != Shape::Closing && d.mismatches.len() < MAX_MISMATCHES {
        d.mismatches.push(Mismatch {
            property: p,
            expected,
            found,
            offset: start,
        });
    }
}

/// Read object ([0]), property ([1]), index ([2]), value ([`value_tag`]) and optionally
/// priority: readProperty-ACK, writeProperty, add/removeListElement.
fn property_value(
    tags: &mut Tags<'_>,
    d: &mut Details,
    value_tag: u8,
    priority: Option<u8>,
) -> Result<(), BacnetError> {
    walk(
        tags,
        d,
        |t, d| {
            store_in(OBJECT_PROPERTY, t, d);
            if priority.is_some_and(|p| t.is_context(p)) {
                store(Slot::Priority, t, d);
            }
        },
        |n, tags, d| {
            if n != value_tag {
                return Ok(false);
            }
            d.has_value = true;
            let (property, object) = (d.property, d.object);
            value(tags, n, property, object, ValueOut::Value, d).map(|()| true)
        },
    )
}

/// Append `object property[index]` to the item being written.
fn write_item(
    out: &mut String,
    object: Option<ObjectId>,
    property: Option<PropertyId>,
    index: Option<u64>,
) {
    let mut w = Bounded::new(out);
    if let Some(o) = object {
        let _ = tag::write_object(o, &mut w);
        let _ = w.write_char(' ');
    }
    match property.map(|p| (p, p.name())) {
        Some((_, Some(name))) => {
            let _ = w.write_str(name);
        }
        Some((p, None)) => {
            let _ = write!(w, "{}", p.0);
        }
        None => {}
    }
    if let Some(i) = index {
        let _ = write!(w, "[{i}]");
    }
}

/// readPropertyMultiple (15.7.1): ([0] object, [1] { ([0] property, [1] index)* })*.
fn read_multiple(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    walk(
        tags,
        d,
        |t, d| {
            if t.is_context(0) {
                d.cursor = t.object_id();
            }
        },
        |n, tags, d| {
            if n != 1 {
                return Ok(false);
            }
            let object = d.cursor;
            if d.object.is_none() {
                d.object = object;
            }
            let mut pending: Option<(PropertyId, Option<u64>)> = None;
            loop {
                let t = tags.expect("closing tag 1")?;
                let flush = |d: &mut Details, p: Option<(PropertyId, Option<u64>)>| {
                    if let Some((property, index)) = p {
                        list_item(d, object, Some(property), index);
                    }
                };
                if t.closes(1) {
                    flush(d, pending.take());
                    return Ok(true);
                }
                if t.is_context(0) {
                    flush(d, pending.take());
                    pending = t.unsigned().map(|p| (PropertyId(p as u32), None));
                } else if t.is_context(1) {
                    if let Some(p) = pending.as_mut() {
                        p.1 = t.unsigned();
                    }
                } else if let Shape::Opening = t.shape {
                    tags.skip_constructed(t.number)?;
                }
            }
        },
    )
}

/// Add one listed item, counting those past the cap; the first item's property becomes the
/// record's property.
fn list_item(
    d: &mut Details,
    object: Option<ObjectId>,
    property: Option<PropertyId>,
    index: Option<u64>,
) {
    d.item_count += 1;
    if d.property.is_none() {
        d.property = property;
        d.array_index = index;
    }
    if d.items.len() < MAX_ITEMS {
        write_item(d.items.next(), object, property, index);
        d.items.finish();
    }
}

/// A property value list: ([p] property, [p+1] index, [p+2] { value }, [p+3] priority or
/// time of change)*, up to the closing tag `close`. Used by writePropertyMultiple,
/// createObject's initial values and COV notifications.
fn value_list(
    tags: &mut Tags<'_>,
    d: &mut Details,
    object: Option<ObjectId>,
    close: u8,
    p: u8,
    priority: bool,
) -> Result<(), BacnetError> {
    let mut property = None;
    let mut index = None;
    loop {
        let t = tags.expect("closing tag")?;
        if t.closes(close) {
            return Ok(());
        }
        if t.is_context(p) {
            property = t.unsigned().map(|v| PropertyId(v as u32));
            index = None;
        } else if t.is_context(p + 1) {
            index = t.unsigned();
        } else if priority && t.is_context(p + 3) {
            if d.write_priority.is_none() {
                d.write_priority = t.unsigned();
            }
        } else if t.opens(p + 2) {
            item_with_value(tags, d, object, property, index, p + 2)?;
        } else if let Shape::Opening = t.shape {
            tags.skip_constructed(t.number)?;
        }
    }
}

/// Read one value of a list into an item `object property[index] = value`.
fn item_with_value(
    tags: &mut Tags<'_>,
    d: &mut Details,
    object: Option<ObjectId>,
    property: Option<PropertyId>,
    index: Option<u64>,
    n: u8,
) -> Result<(), BacnetError> {
    let listed = d.items.len() < MAX_ITEMS;
    list_item(d, object, property, index);
    d.scratch.clear();
    let result = value(tags, n, property, object, ValueOut::Scratch, d);
    if listed {
        d.items.extend_last(" = ", &d.scratch);
    }
    result
}

/// Note the object of the list that follows; the first becomes the record's object.
fn remember_cursor(t: &Tag<'_>, d: &mut Details) {
    if t.is_context(0) {
        d.cursor = t.object_id();
        if d.object.is_none() {
            d.object = d.cursor;
        }
    }
}

/// writePropertyMultiple (15.10.1): ([0] object, [1] { property values })*.
fn write_multiple(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    walk(tags, d, remember_cursor, |n, tags, d| {
        if n != 1 {
            return Ok(false);
        }
        let object = d.cursor;
        value_list(tags, d, object, 1, 0, true).map(|()| true)
    })
}

/// readPropertyMultiple-ACK (15.7.2): ([0] object, [1] { ([2] property, [3] index,
/// [4] { value } | [5] { error })* })*.
fn read_multiple_ack(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    walk(tags, d, remember_cursor, |n, tags, d| {
        if n != 1 {
            return Ok(false);
        }
        let object = d.cursor;
        let mut property = None;
        let mut index = None;
        loop {
            let t = tags.expect("closing tag 1")?;
            if t.closes(1) {
                return Ok(true);
            }
            if t.is_context(2) {
                property = t.unsigned().map(|v| PropertyId(v as u32));
                index = None;
            } else if t.is_context(3) {
                index = t.unsigned();
            } else if t.opens(4) {
                item_with_value(tags, d, object, property, index, 4)?;
            } else if t.opens(5) {
                let listed = d.items.len() < MAX_ITEMS;
                list_item(d, object, property, index);
                let class = application(
                    tags,
                    app::ENUMERATED,
                    "read_property_multiple",
                    "error class",
                )?;
                let code = application(
                    tags,
                    app::ENUMERATED,
                    "read_property_multiple",
                    "error code",
                )?;
                match tags.expect("closing tag 5")? {
                    t if t.closes(5) => {}
                    _ => return Err(unexpected("read_property_multiple", "closing tag 5", tags)),
                }
                if listed {
                    d.scratch.clear();
                    let class = class.unsigned().unwrap_or(u64::MAX);
                    let code = code.unsigned().unwrap_or(u64::MAX);
                    let _ = write!(
                        d.scratch,
                        "{}/{}",
                        super::message::error_class_name(class).unwrap_or("unknown"),
                        super::message::error_code_name(code).unwrap_or("unknown")
                    );
                    d.items.extend_last(" error ", &d.scratch);
                }
            } else if let Shape::Opening = t.shape {
                tags.skip_constructed(t.number)?;
            }
        }
    })
}

/// createObject (15.3.1): [0] { [0] object type | [1] object id }, [1] { initial values }.
fn create_object(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    walk(
        tags,
        d,
        |_, _| {},
        |n, tags, d| match n {
            0 => loop {
                let t = tags.expect("closing tag 0")?;
                if t.closes(0) {
                    return Ok(true);
                }
                if t.is_context(0) {
                    let object_type = t.unsigned().map_or(u16::MAX, |v| v.min(1023) as u16);
                    d.object = Some(ObjectId {
                        object_type,
                        instance: 0x003f_ffff,
                    });
                } else if t.is_context(1) {
                    d.object = t.object_id();
                }
            },
            1 => {
                let object = d.object;
                value_list(tags, d, object, 1, 0, true).map(|()| true)
            }
            _ => Ok(false),
        },
    )
}

/// COV notifications (13.6.1, 13.7.1): [0] process, [1] device, [2] object, [3] time
/// remaining, [4] { property values }.
fn cov_notification(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    walk(
        tags,
        d,
        |t, d| {
            store_in(
                &[(0, Slot::Process), (1, Slot::Device), (2, Slot::Object)],
                t,
                d,
            )
        },
        |n, tags, d| {
            if n != 4 || d.object.is_none() {
                return Ok(false);
            }
            let object = d.object;
            value_list(tags, d, object, 4, 0, false).map(|()| true)
        },
    )
}

/// COV notifications of several objects (13.18.1, 13.19.1): [0] process, [1] device,
/// [2] time remaining, [3] timestamp, [4] { ([0] object, [1] { property values with time of
/// change })* }.
fn cov_notification_multiple(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    walk(
        tags,
        d,
        |t, d| store_in(&[(0, Slot::Process), (1, Slot::Device)], t, d),
        |n, tags, d| {
            if n != 4 {
                return Ok(false);
            }
            loop {
                let t = tags.expect("closing tag 4")?;
                if t.closes(4) {
                    return Ok(true);
                }
                remember_cursor(&t, d);
                if t.opens(1) {
                    let object = d.cursor;
                    value_list(tags, d, object, 1, 0, false)?;
                } else if let Shape::Opening = t.shape {
                    tags.skip_constructed(t.number)?;
                }
            }
        },
    )
}

/// Event notifications (13.8.1, 13.9.1): the object, event type, message text and new state.
fn event_notification(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    pick(
        tags,
        d,
        &[
            (0, Slot::Process),
            (1, Slot::Device),
            (2, Slot::Object),
            (6, Slot::EventType),
            (7, Slot::Message),
            (11, Slot::ToState),
        ],
    )
}

/// Private transfers (16.2.1, 16.3.1): vendor and service number.
fn private_transfer(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    pick(tags, d, &[(0, Slot::Vendor), (1, Slot::ServiceNumber)])
}

/// Text messages (16.5.1, 16.6.1): source device and message.
fn text_message(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    pick(tags, d, &[(0, Slot::Device), (3, Slot::Message)])
}

/// atomicReadFile (14.1.1): the file, then stream ([0] start, count) or record access.
fn atomic_read_file(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    d.object =
        application(tags, app::OBJECT_ID, "atomic_read_file", "file identifier")?.object_id();
    file_access(tags, d, "atomic_read_file")
}

/// atomicWriteFile (14.2.1): the file, then stream ([0] start, data) or record access.
fn atomic_write_file(tags: &mut Tags<'_>, d: &mut Details) -> Result<(), BacnetError> {
    d.object =
        application(tags, app::OBJECT_ID, "atomic_write_file", "file identifier")?.object_id();
    file_access(tags, d, "atomic_write_file")
}

/// Read a file access choice: [0] stream or [1] record, each a start position followed by a
/// count and/or data octets.
fn file_access(
    tags: &mut Tags<'_>,
    d: &mut Details,
    service: &'static str,
) -> Result<(), BacnetError> {
    let access = match tags.expect("file access")? {
        t if t.opens(0) => 0,
        t if t.opens(1) => 1,
        _ => return Err(unexpected(service, "stream or record access", tags)),
    };
    d.file_access = Some(if access == 0 { "stream" } else { "record" });
    let start = application(tags, app::SIGNED, service, "file start")?;
    d.file_start = tag::signed(start.contents());
    loop {
        let t = tags.expect("closing tag")?;
        if t.closes(access) {
            break;
        }
        match (t.class, t.number) {
            (Class::Application, app::UNSIGNED) => d.file_count = t.unsigned(),
            (Class::Application, app::OCTET_STRING) => {
                let octets = t.contents().len() as u64;
                d.file_count = Some(d.file_count.map_or(octets, |n| n.max(octets)));
            }
            _ if t.shape == Shape::Opening => tags.skip_constructed(t.number)?,
            _ => return Err(unexpected(service, "file data", tags)),
        }
    }
    end(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_bytes(body: Body, params: &[u8]) -> (Details, Result<(), BacnetError>) {
        let mut d = Details::default();
        let result = decode(body, &mut Tags::new(params, 0), &mut d);
        (d, result)
    }

    #[test]
    fn reads_an_i_am() {
        // i-Am of device 101, max APDU 1024, segmented-both, vendor 1337 (16.10.3).
        let params = [
            0xc4, 0x02, 0x00, 0x00, 0x65, // device,101
            0x22, 0x04, 0x00, // Unsigned 1024
            0x91, 0x00, // Enumerated 0: segmented-both
            0x22, 0x05, 0x39, // Unsigned 1337
        ];
        let (d, r) = decode_bytes(Body::Unconfirmed(UnconfirmedService::I_AM), &params);
        r.expect("valid");
        assert_eq!(
            d.device.map(|o| (o.object_type, o.instance)),
            Some((8, 101))
        );
        assert_eq!(
            (d.max_apdu, d.segmentation, d.vendor_id),
            (Some(1024), Some(0), Some(1337))
        );
    }

    #[test]
    fn reads_a_read_property_ack_and_keeps_device_identity() {
        // readProperty-ACK: device,500 model-name "LGR" (15.5.2).
        let params = [
            0x0c, 0x02, 0x00, 0x01, 0xf4, // [0] device,500
            0x19, 0x46, // [1] model-name (70)
            0x3e, // [3] opening
            0x74, 0x00, b'L', b'G', b'R', // CharacterString UTF-8 "LGR"
            0x3f, // [3] closing
        ];
        let (d, r) = decode_bytes(Body::Ack(ConfirmedService(12)), &params);
        r.expect("valid");
        assert_eq!(d.value, "LGR");
        assert_eq!(d.identity_properties, vec![PropertyId::MODEL_NAME]);
        assert_eq!(d.identity_values.items(), vec!["LGR"]);
        assert!(d.mismatches.is_empty());
    }

    #[test]
    fn flags_a_list_element_of_the_wrong_type() {
        // addListElement to notification-class,1 recipient-list with a REAL element: from
        // the icsnpp-bacnet trace that tshark reports malformed (15.1.1).
        let params = [
            0x0c, 0x03, 0xc0, 0x00, 0x01, // [0] notification-class,1
            0x19, 0x66, // [1] recipient-list (102)
            0x3e, 0x44, 0x42, 0xc8, 0x00, 0x00, 0x3f, // [3] { Real 100.0 }
        ];
        let (d, r) = decode_bytes(Body::Request(ConfirmedService(8)), &params);
        r.expect("well-formed tags");
        assert_eq!(d.value, "100");
        assert_eq!(
            d.mismatches,
            vec![Mismatch {
                property: PropertyId(102),
                expected: app::BIT_STRING,
                found: Some(app::REAL),
                offset: 8
            }]
        );
    }

    #[test]
    fn reads_read_property_multiple_requests_and_acks() {
        // readPropertyMultiple: device,101 { object-name, model-name[0] } (15.7.1).
        let params = [
            0x0c, 0x02, 0x00, 0x00, 0x65, // [0] device,101
            0x1e, 0x09, 0x4d, 0x09, 0x46, 0x19, 0x00, 0x1f, // [1] { 77, 70 [0] }
        ];
        let (d, r) = decode_bytes(Body::Request(ConfirmedService(14)), &params);
        r.expect("valid");
        assert_eq!(
            d.items.items(),
            vec!["device:101 object_name", "device:101 model_name[0]"]
        );
        assert_eq!(d.property, Some(PropertyId::OBJECT_NAME));
        // The ACK: object-name "AHU-1", then an error for vendor-name (15.7.2).
        let ack = [
            0x0c, 0x02, 0x00, 0x00, 0x65, // [0] device,101
            0x1e, // [1] {
            0x29, 0x4d, 0x4e, 0x75, 0x06, 0x00, b'A', b'H', b'U', b'-', b'1',
            0x4f, // 77 = "AHU-1"
            0x29, 0x79, 0x5e, 0x91, 0x02, 0x91, 0x20, 0x5f, // 121: property/unknown_property
            0x1f, // }
        ];
        let (d, r) = decode_bytes(Body::Ack(ConfirmedService(14)), &ack);
        r.expect("valid");
        assert_eq!(
            d.items.items(),
            vec![
                "device:101 object_name = AHU-1",
                "device:101 vendor_name error property/unknown_property"
            ]
        );
        assert_eq!(d.object_names.items(), vec!["AHU-1"]);
        assert_eq!(d.identity_values.items(), vec!["AHU-1"]);
    }

    #[test]
    fn locates_a_reinitialize_password_without_keeping_it() {
        // reinitializeDevice warmstart with password "Delcatty70" (16.4.1).
        let params = [
            0x09, 0x06, // [0] reinitialized state 6, abortrestore
            0x1d, 0x0b, 0x00, b'D', b'e', b'l', b'c', b'a', b't', b't', b'y', b'7', b'0',
        ];
        let (d, r) = decode_bytes(
            Body::Request(ConfirmedService::REINITIALIZE_DEVICE),
            &params,
        );
        r.expect("valid");
        assert_eq!(d.state, Some(6));
        let range = d.password.expect("a password");
        assert_eq!(&params[range], b"Delcatty70");
    }

    #[test]
    fn reads_error_class_and_code_plain_or_wrapped() {
        let (d, r) = decode_bytes(Body::Error(ConfirmedService(20)), &[0x91, 0x05, 0x91, 0x1a]);
        r.expect("valid");
        assert_eq!((d.error_class, d.error_code), (Some(5), Some(26)));
        let wrapped = [0x0e, 0x91, 0x01, 0x91, 0x1f, 0x0f, 0x19, 0x00];
        let (d, r) = decode_bytes(Body::Error(ConfirmedService(10)), &wrapped);
        r.expect("valid");
        assert_eq!((d.error_class, d.error_code), (Some(1), Some(31)));
    }

    #[test]
    fn reports_missing_and_trailing_parameters() {
        let (_, r) = decode_bytes(Body::Unconfirmed(UnconfirmedService::I_AM), &[0x21, 0x01]);
        assert!(matches!(
            r,
            Err(BacnetError::Unexpected {
                expected: "device identifier",
                ..
            })
        ));
        let (_, r) = decode_bytes(
            Body::Request(ConfirmedService(11)),
            &[0xc4, 0, 0, 0, 1, 0x00],
        );
        assert_eq!(r, Err(BacnetError::TrailingData { offset: 5, len: 1 }));
        let (_, r) = decode_bytes(Body::Request(ConfirmedService(12)), &[0x0f]);
        assert!(matches!(
            r,
            Err(BacnetError::StrayClosing { closed: 0, .. })
        ));
    }

    #[test]
    fn reads_time_synchronisation_and_who_has() {
        let params = [0xa4, 0x7c, 0x03, 0x09, 0x06, 0xb4, 0x0d, 0x05, 0x00, 0x00];
        let (d, r) = decode_bytes(Body::Unconfirmed(UnconfirmedService(6)), &params);
        r.expect("valid");
        assert_eq!(d.time, "2024-03-09 13:05:00.00");
        let who_has = [0x3d, 0x08, 0x00, b'S', b'Y', b'N', b'E', b'R', b'G', b'Y'];
        let (d, r) = decode_bytes(Body::Unconfirmed(UnconfirmedService(7)), &who_has);
        r.expect("valid");
        assert_eq!(d.object_name, "SYNERGY");
    }
}
