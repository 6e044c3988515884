//! Pure functions over `&[u8]`: a transport unit read through the session (ISO 8327-1),
//! presentation (ISO 8823-1) and ACSE (ISO 8650-1) layers to the MMS PDU (ISO 9506-2), and
//! the fields of the MMS services a monitor reports.

use crate::ber::{Ber, BerError, Class, Tlv, universal};

use super::message::{Apdu, Initiate, MmsPdu, PduType, ServiceError, Spdu};

/// Why a unit could not be read further, located in the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IsoError {
    /// A session SPDU or parameter runs past its unit.
    #[error("session {field} at offset {offset} claims {claimed} octets, {available} present")]
    Session {
        /// The SPDU or parameter.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Its length field.
        claimed: usize,
        /// Octets present.
        available: usize,
    },
    /// A BER element of the presentation, ACSE or MMS layer.
    #[error(transparent)]
    Ber(#[from] BerError),
    /// A presentation data value that holds neither an ACSE APDU nor an MMS PDU.
    #[error(
        "presentation data value at offset {offset} starts with tag {tag:#04x}: not ACSE, not MMS"
    )]
    Payload {
        /// Where it starts.
        offset: usize,
        /// Its first octet.
        tag: u8,
    },
}

impl IsoError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            IsoError::Session { .. } => "session_truncated",
            IsoError::Ber(e) => e.code(),
            IsoError::Payload { .. } => "unknown_presentation_payload",
        }
    }

    /// Return the offset of the offending field.
    pub fn offset(&self) -> usize {
        match *self {
            IsoError::Session { offset, .. } | IsoError::Payload { offset, .. } => offset,
            IsoError::Ber(e) => e.offset(),
        }
    }
}

/// What the ACSE APDU of a unit says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Acse<'a> {
    /// AARQ, AARE, RLRQ, RLRE or ABRT.
    pub apdu: Option<Apdu>,
    /// Application context name (OID contents; 1.0.9506.2.3 is MMS).
    pub context: Option<&'a [u8]>,
    /// Called (AARQ) or responding (AARE) AP title, OID contents.
    pub called_ap_title: Option<&'a [u8]>,
    /// Called or responding AE qualifier.
    pub called_ae_qualifier: Option<i64>,
    /// Calling AP title (AARQ), OID contents.
    pub calling_ap_title: Option<&'a [u8]>,
    /// Calling AE qualifier (AARQ).
    pub calling_ae_qualifier: Option<i64>,
    /// Association result (AARE).
    pub result: Option<i64>,
    /// Result source diagnostic (AARE).
    pub diagnostic: Option<i64>,
    /// Release reason (RLRQ, RLRE) or abort source (ABRT).
    pub reason: Option<i64>,
    /// Authentication mechanism name, OID contents.
    pub mechanism: Option<&'a [u8]>,
    /// The AARQ carries a password (authentication value `charstring`).
    pub password: bool,
    /// The AARQ carries another authentication value.
    pub authentication: bool,
}

/// What one transport unit carries, layer by layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit<'a> {
    /// The session SPDU (DATA for a concatenated GIVE TOKENS + DATA TRANSFER).
    pub spdu: Spdu,
    /// Calling session selector (CONNECT, ACCEPT).
    pub calling_ssel: Option<&'a [u8]>,
    /// Called or responding session selector.
    pub called_ssel: Option<&'a [u8]>,
    /// Calling presentation selector.
    pub calling_psel: Option<&'a [u8]>,
    /// Called or responding presentation selector.
    pub called_psel: Option<&'a [u8]>,
    /// The ACSE APDU, if the unit carries one.
    pub acse: Option<Acse<'a>>,
    /// The MMS PDU, directly in the presentation data or inside the ACSE user information.
    pub mms: Option<MmsPdu<'a>>,
}

/// A unit as far as it could be read, and where reading stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lax<'a> {
    /// What was read.
    pub unit: Unit<'a>,
    /// Why reading stopped early.
    pub stop: Option<IsoError>,
}

/// One session parameter unit (PI or PGI): code, value, where the value starts.
fn parameters<'a>(
    mut data: &'a [u8],
    mut offset: usize,
    mut each: impl FnMut(u8, &'a [u8], usize),
) -> Result<(), IsoError> {
    while let Some((code, value, used)) = unit_header(data, offset, "parameter")? {
        each(code, value.0, value.1);
        data = data.get(used..).unwrap_or_default();
        offset += used;
    }
    Ok(())
}

/// Read an SPDU or parameter header (code, length in one octet or 0xff and two): the code,
/// the value with its offset, and the octets used.
#[allow(clippy::type_complexity)]
fn unit_header<'a>(
    data: &'a [u8],
    offset: usize,
    field: &'static str,
) -> Result<Option<(u8, (&'a [u8], usize), usize)>, IsoError> {
    let Some((&code, rest)) = data.split_first() else {
        return Ok(None);
    };
    let truncated = |claimed: usize, available: usize| IsoError::Session {
        field,
        offset,
        claimed,
        available,
    };
    let (len, header) = match rest {
        [0xff, hi, lo, ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), 4),
        [0xff, ..] | [] => return Err(truncated(3, rest.len())),
        [len, ..] => (usize::from(*len), 2),
    };
    let value = data
        .get(header..header + len)
        .ok_or(truncated(len, data.len().saturating_sub(header)))?;
    Ok(Some((code, (value, offset + header), header + len)))
}

/// Read a transport unit from the session SPDU down.
pub fn unit(tsdu: &[u8]) -> Lax<'_> {
    let mut unit = Unit {
        spdu: Spdu(tsdu.first().copied().unwrap_or(0)),
        calling_ssel: None,
        called_ssel: None,
        calling_psel: None,
        called_psel: None,
        acse: None,
        mms: None,
    };
    let stop = read(tsdu, &mut unit).err();
    Lax { unit, stop }
}

fn read<'a>(tsdu: &'a [u8], unit: &mut Unit<'a>) -> Result<(), IsoError> {
    let Some((si, (mut params, mut params_at), mut used)) = unit_header(tsdu, 0, "SPDU")? else {
        return Ok(());
    };
    let mut si = Spdu(si);
    let mut base = 0;
    // Basic concatenation (§6.3.7): GIVE TOKENS (SI 1, no parameters) then DATA TRANSFER.
    if si == Spdu::DATA && params.is_empty() && tsdu.get(used) == Some(&1) {
        base = used;
        let rest = tsdu.get(used..).unwrap_or_default();
        if let Some((next, (p, at), n)) = unit_header(rest, base, "SPDU")? {
            (si, params, params_at, used) = (Spdu(next), p, at, n);
        }
    }
    unit.spdu = si;
    let mut user: Option<(&'a [u8], usize)> = None;
    match si.0 {
        // DATA TRANSFER, TYPED DATA, EXPEDITED: the user information follows the SPDU.
        1 | 5 | 33 => {
            let start = base + used;
            user = tsdu.get(start..).map(|u| (u, start));
        }
        _ => parameters(params, params_at, |code, value, at| match code {
            // Calling and called/responding session selectors (PI 51, 52).
            51 => unit.calling_ssel = Some(value),
            52 => unit.called_ssel = Some(value),
            // User Data, Extended User Data (PGI 193, 194).
            193 | 194 => user = Some((value, at)),
            _ => {}
        })?,
    }
    match user {
        Some((data, at)) if !data.is_empty() => presentation(data, at, unit),
        _ => Ok(()),
    }
}

/// Read the presentation PPDU: a CP/CPA SET on connection, fully encoded user data otherwise.
fn presentation<'a>(data: &'a [u8], at: usize, unit: &mut Unit<'a>) -> Result<(), IsoError> {
    let ppdu = Ber::new(data, at).next("presentation PPDU")?;
    let user = match (ppdu.class, ppdu.number) {
        (Class::Universal, universal::SET) => {
            let mut user = None;
            let mut set = ppdu.children();
            while !set.is_empty() {
                let part = set.next("presentation parameter")?;
                if !part.is_context(2) {
                    continue;
                }
                let mut normal = part.children();
                while !normal.is_empty() {
                    let p = normal.next("normal-mode parameter")?;
                    match (p.class, p.number) {
                        (Class::Context, 1) => unit.calling_psel = Some(p.contents),
                        (Class::Context, 2 | 3) => unit.called_psel = Some(p.contents),
                        (Class::Application, 1) => user = Some(p),
                        _ => {}
                    }
                }
            }
            user
        }
        (Class::Application, 1) => Some(ppdu),
        _ => None,
    };
    let Some(user) = user else {
        return Ok(());
    };
    let mut pdvs = user.children();
    while !pdvs.is_empty() {
        let pdv = pdvs.expect(Class::Universal, universal::SEQUENCE, "PDV-list")?;
        let mut parts = pdv.children();
        while !parts.is_empty() {
            let p = parts.next("presentation data value")?;
            match (p.class, p.number, p.constructed) {
                (Class::Context, 0, true) => {
                    let value = p.children().next("single-ASN1-type")?;
                    return content(value, unit);
                }
                (Class::Context, 1, false) => {
                    let value = Ber::new(p.contents, p.contents_offset).next("octet-aligned")?;
                    return content(value, unit);
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Dispatch a presentation data value: ACSE APDUs are [APPLICATION 0-4], MMS PDUs
/// context-specific.
fn content<'a>(value: Tlv<'a>, unit: &mut Unit<'a>) -> Result<(), IsoError> {
    match value.class {
        Class::Application if value.number <= 4 => acse(value, unit),
        Class::Context => {
            unit.mms = Some(mms(value)?);
            Ok(())
        }
        _ => Err(IsoError::Payload {
            offset: value.offset,
            tag: value_tag(&value),
        }),
    }
}

/// The identifier octet of an element with a low tag number, for messages.
fn value_tag(t: &Tlv<'_>) -> u8 {
    let class = match t.class {
        Class::Universal => 0x00,
        Class::Application => 0x40,
        Class::Context => 0x80,
        Class::Private => 0xc0,
    };
    class | if t.constructed { 0x20 } else { 0 } | (t.number.min(31) as u8)
}

fn acse<'a>(apdu: Tlv<'a>, unit: &mut Unit<'a>) -> Result<(), IsoError> {
    let kind = Apdu(apdu.number);
    let mut a = Acse {
        apdu: Some(kind),
        ..Acse::default()
    };
    let inner_integer = |t: &Tlv<'a>| t.children().next("integer").ok().and_then(|i| i.signed());
    let inner_oid = |t: &Tlv<'a>| {
        t.children()
            .next("object identifier")
            .ok()
            .filter(|o| o.is_universal(universal::OID))
            .map(|o| o.contents)
    };
    let mut user = None;
    let mut parts = apdu.children();
    while !parts.is_empty() {
        let p = parts.next("ACSE field")?;
        if p.class != Class::Context {
            continue;
        }
        match (kind, p.number) {
            (_, 30) => user = Some(p),
            (Apdu::RLRQ | Apdu::RLRE | Apdu::ABRT, 0) => a.reason = p.signed(),
            (Apdu::AARQ | Apdu::AARE, 1) => a.context = inner_oid(&p),
            (Apdu::AARQ, 2) | (Apdu::AARE, 4) => a.called_ap_title = inner_oid(&p),
            (Apdu::AARQ, 3) | (Apdu::AARE, 5) => a.called_ae_qualifier = inner_integer(&p),
            (Apdu::AARQ, 6) => a.calling_ap_title = inner_oid(&p),
            (Apdu::AARQ, 7) => a.calling_ae_qualifier = inner_integer(&p),
            (Apdu::AARE, 2) => a.result = inner_integer(&p),
            (Apdu::AARE, 3) => {
                a.diagnostic = p
                    .children()
                    .next("diagnostic")
                    .ok()
                    .and_then(|d| inner_integer(&d));
            }
            (Apdu::AARQ, 11) | (Apdu::AARE, 9) => a.mechanism = Some(p.contents),
            (Apdu::AARQ, 12) => {
                let value = p.children().next("authentication value").ok();
                a.password = value.is_some_and(|v| v.is_context(0));
                a.authentication = !a.password;
            }
            _ => {}
        }
    }
    unit.acse = Some(a);
    let Some(user) = user else {
        return Ok(());
    };
    // user-information: Association-information, a SEQUENCE OF EXTERNAL (ISO 8650-1 §9).
    let external = user
        .children()
        .expect(Class::Universal, universal::EXTERNAL, "EXTERNAL")?;
    let mut parts = external.children();
    while !parts.is_empty() {
        let p = parts.next("EXTERNAL field")?;
        if p.is_context(0) && p.constructed {
            return content(p.children().next("single-ASN1-type")?, unit);
        }
    }
    Ok(())
}

/// Read an invoke id: an Unsigned32 INTEGER.
fn invoke_id(t: &Tlv<'_>) -> Option<u64> {
    t.unsigned().filter(|&n| n <= u64::from(u32::MAX))
}

/// Read a `ServiceError` from the elements of its SEQUENCE.
fn service_error(mut parts: Ber<'_>) -> Option<ServiceError> {
    let class = parts.find_context(0)?;
    let choice = class.children().next("error class").ok()?;
    Some(ServiceError {
        class: choice.number,
        code: choice.signed().unwrap_or(0),
    })
}

/// Read an MMS PDU (`MMSpdu`, a CHOICE of context-tagged PDUs).
pub fn mms(pdu: Tlv<'_>) -> Result<MmsPdu<'_>, BerError> {
    let mut parts = pdu.children();
    Ok(match PduType(pdu.number) {
        PduType::CONFIRMED_REQUEST | PduType::CONFIRMED_RESPONSE => {
            let id = parts.expect(Class::Universal, universal::INTEGER, "invokeID")?;
            let invoke_id = invoke_id(&id).unwrap_or(0);
            let mut service = parts.next("service")?;
            // Confirmed-RequestPDU may carry a listOfModifier SEQUENCE before the service.
            if service.is_universal(universal::SEQUENCE) {
                service = parts.next("service")?;
            }
            if pdu.number == 0 {
                MmsPdu::ConfirmedRequest { invoke_id, service }
            } else {
                MmsPdu::ConfirmedResponse { invoke_id, service }
            }
        }
        PduType::CONFIRMED_ERROR => {
            let id = parts.context(0, "invokeID")?;
            MmsPdu::ConfirmedError {
                invoke_id: invoke_id(&id).unwrap_or(0),
                error: parts
                    .find_context(2)
                    .and_then(|e| service_error(e.children())),
            }
        }
        PduType::UNCONFIRMED => MmsPdu::Unconfirmed {
            service: parts.next("unconfirmed service")?,
        },
        PduType::REJECT => {
            let mut invoke = None;
            let mut reason = None;
            while !parts.is_empty() {
                let p = parts.next("reject field")?;
                match p.number {
                    0 => invoke = invoke_id(&p),
                    n => reason = Some((n, p.signed().unwrap_or(0))),
                }
            }
            MmsPdu::Reject {
                invoke_id: invoke,
                reason,
            }
        }
        pdu_type @ (PduType(5) | PduType(6)) => MmsPdu::Cancel {
            pdu: pdu_type,
            invoke_id: invoke_id(&pdu),
        },
        pdu_type @ PduType(7) => MmsPdu::Cancel {
            pdu: pdu_type,
            invoke_id: parts.find_context(0).and_then(|t| invoke_id(&t)),
        },
        pdu_type @ (PduType::INITIATE_REQUEST | PduType::INITIATE_RESPONSE) => MmsPdu::Initiate {
            pdu: pdu_type,
            parameters: initiate(parts),
        },
        pdu_type @ (PduType::INITIATE_ERROR | PduType::CONCLUDE_ERROR) => MmsPdu::Control {
            pdu: pdu_type,
            error: service_error(parts),
        },
        pdu_type => MmsPdu::Control {
            pdu: pdu_type,
            error: None,
        },
    })
}

/// Read the parameters of an initiate request or response, which share positions.
fn initiate(mut parts: Ber<'_>) -> Initiate<'_> {
    let mut i = Initiate::default();
    while let Ok(p) = parts.next("initiate parameter") {
        match p.number {
            0 => i.local_detail = p.unsigned(),
            1 => i.max_serv_outstanding_calling = p.unsigned(),
            2 => i.max_serv_outstanding_called = p.unsigned(),
            3 => i.nesting_level = p.unsigned(),
            4 => {
                let mut detail = p.children();
                while let Ok(d) = detail.next("init detail") {
                    match d.number {
                        0 => i.version = d.unsigned(),
                        1 => i.parameter_cbb = d.bits().map(|b| b.0),
                        2 => i.services = d.bits().map(|b| b.0),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    i
}

/// An MMS object name (`ObjectName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectName<'a> {
    /// vmd-specific.
    Vmd(&'a [u8]),
    /// domain-specific: domain and item.
    Domain(&'a [u8], &'a [u8]),
    /// aa-specific.
    Association(&'a [u8]),
}

impl ObjectName<'_> {
    /// Write the name: `item`, or `domain/item` (IEC 61850 `LD/LN$FC$DO`).
    pub fn write(&self, out: &mut String) {
        let push = |out: &mut String, b: &[u8]| out.push_str(&String::from_utf8_lossy(b));
        match *self {
            ObjectName::Vmd(item) | ObjectName::Association(item) => push(out, item),
            ObjectName::Domain(domain, item) => {
                push(out, domain);
                out.push('/');
                push(out, item);
            }
        }
    }
}

/// Read an `ObjectName` element.
pub fn object_name(t: Tlv<'_>) -> Option<ObjectName<'_>> {
    match (t.class, t.number) {
        (Class::Context, 0) => Some(ObjectName::Vmd(t.contents)),
        (Class::Context, 1) => {
            let mut parts = t.children();
            let domain = parts.next("domainId").ok()?;
            let item = parts.next("itemId").ok()?;
            Some(ObjectName::Domain(domain.contents, item.contents))
        }
        (Class::Context, 2) => Some(ObjectName::Association(t.contents)),
        _ => None,
    }
}

/// What a `VariableAccessSpecification` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variables<'a> {
    /// listOfVariable: the elements of the SEQUENCE OF, each read by [`variable_names`].
    List(Tlv<'a>),
    /// variableListName.
    ListName(ObjectName<'a>),
}

/// Read a `VariableAccessSpecification` CHOICE element.
pub fn variables(t: Tlv<'_>) -> Option<Variables<'_>> {
    match (t.class, t.number) {
        (Class::Context, 0) => Some(Variables::List(t)),
        (Class::Context, 1) => t
            .children()
            .next("variableListName")
            .ok()
            .and_then(object_name)
            .map(Variables::ListName),
        _ => None,
    }
}

/// The names of a listOfVariable, in order: each entry's `variableSpecification` when it is
/// a name ([0] ObjectName); addresses and descriptions yield `None`.
pub fn variable_names<'a>(list: Tlv<'a>) -> impl Iterator<Item = Option<ObjectName<'a>>> + 'a {
    let mut entries = list.children();
    std::iter::from_fn(move || {
        let entry = entries.next("variable").ok()?;
        let spec = entry.children().next("variableSpecification").ok();
        Some(
            spec.filter(|s| s.is_context(0))
                .and_then(|s| s.children().next("name").ok())
                .and_then(object_name),
        )
    })
}

/// Count the results of a `listOfAccessResult`: (results, failures, first failure code).
pub fn access_results(list: Tlv<'_>) -> (u64, u64, Option<i64>) {
    let mut results = list.children();
    let (mut n, mut failures, mut first) = (0, 0, None);
    while let Ok(r) = results.next("access result") {
        n += 1;
        if r.is_context(0) && !r.constructed {
            failures += 1;
            first = first.or(r.signed());
        }
    }
    (n, failures, first)
}

/// The components of a `FileName` (a SEQUENCE OF GraphicString) inside `t`.
pub fn file_name<'a>(t: Tlv<'a>) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut parts = t.children();
    std::iter::from_fn(move || parts.next("file name").ok().map(|p| p.contents))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mms::message::Service;

    /// A GetVariableAccessAttributes request, invoke id 303731, for
    /// `AA1E1Q01FP2LD0/LLN0$BR$rcb_B02`, as an IEC 61850 client sends it (ISO 9506-2 §11.4).
    const GET_ATTRIBUTES: &[u8] = &[
        0x01, 0x00, 0x01, 0x00, // session GIVE TOKENS, DATA TRANSFER (ISO 8327-1 §8.3.16)
        0x61, 0x35, // presentation fully-encoded-data (ISO 8823-1 §8.4)
        0x30, 0x33, 0x02, 0x01, 0x03, // PDV-list, presentation context 3 (MMS)
        0xa0, 0x2e, // single-ASN1-type
        0xa0, 0x2c, // confirmed-RequestPDU
        0x02, 0x03, 0x04, 0xa2, 0x73, // invokeID 303731
        0xa6, 0x25, 0xa0, 0x23, 0xa1,
        0x21, // getVariableAccessAttributes, name, domain-specific
        0x1a, 0x0e, b'A', b'A', b'1', b'E', b'1', b'Q', b'0', b'1', b'F', b'P', b'2', b'L', b'D',
        b'0', // domainId
        0x1a, 0x0f, b'L', b'L', b'N', b'0', b'$', b'B', b'R', b'$', b'r', b'c', b'b', b'_', b'B',
        b'0', b'2', // itemId
    ];

    #[test]
    fn reads_a_confirmed_request_through_session_and_presentation() {
        let lax = unit(GET_ATTRIBUTES);
        assert_eq!(lax.stop, None);
        assert_eq!(lax.unit.spdu, Spdu::DATA);
        let Some(MmsPdu::ConfirmedRequest { invoke_id, service }) = lax.unit.mms else {
            panic!("a confirmed request: {:?}", lax.unit.mms);
        };
        assert_eq!(invoke_id, 303_731);
        assert_eq!(
            Service(service.number).name(),
            Some("get_variable_access_attributes")
        );
        let name = service
            .children()
            .next("name")
            .ok()
            .and_then(|n| n.children().next("object").ok())
            .and_then(object_name);
        let mut s = String::new();
        name.expect("a name").write(&mut s);
        assert_eq!(s, "AA1E1Q01FP2LD0/LLN0$BR$rcb_B02");
    }

    #[test]
    fn reads_the_initiate_inside_a_connect() {
        // CONNECT SPDU with session selectors and a CP-type whose user data is an AARQ for
        // the MMS context carrying an initiate request (ISO 8650-1 §9, ISO 9506-2 §8.2).
        let mut mms = vec![
            0xa8, 0x0f, // initiate-RequestPDU
            0x80, 0x02, 0x7d, 0x00, // localDetailCalling 32000
            0x81, 0x01, 0x05, 0x82, 0x01, 0x05, // max outstanding 5/5
            0xa4, 0x06, 0x80, 0x01, 0x01, 0x81, 0x01, 0x00, // version 1, (empty CBB list)
        ];
        mms[1] = u8::try_from(mms.len() - 2).expect("small");
        let mut external = vec![0x28, 0x00, 0x02, 0x01, 0x03, 0xa0, 0x00];
        external[6] = u8::try_from(mms.len()).expect("small");
        external.extend_from_slice(&mms);
        external[1] = u8::try_from(external.len() - 2).expect("small");
        let mut aarq = vec![
            0x60, 0x00, // AARQ
            0xa1, 0x07, 0x06, 0x05, 0x28, 0xca, 0x22, 0x02, 0x03, // context 1.0.9506.2.3
            0xa2, 0x04, 0x06, 0x02, 0x29, 0x01, // called AP title 1.1.1
            0xac, 0x05, 0x80, 0x03, b'p', b'w', b'd', // authentication value: a password
            0xbe, 0x00, // user information
        ];
        let be = aarq.len() - 1;
        aarq[be] = u8::try_from(external.len()).expect("small");
        aarq.extend_from_slice(&external);
        aarq[1] = u8::try_from(aarq.len() - 2).expect("small");
        let mut pdv = vec![0x30, 0x00, 0x02, 0x01, 0x01, 0xa0, 0x00];
        pdv[6] = u8::try_from(aarq.len()).expect("small");
        pdv.extend_from_slice(&aarq);
        pdv[1] = u8::try_from(pdv.len() - 2).expect("small");
        let mut user = vec![0x61, u8::try_from(pdv.len()).expect("small")];
        user.extend_from_slice(&pdv);
        let mut normal = vec![0xa2, 0x00, 0x81, 0x02, 0x00, 0x01];
        normal.extend_from_slice(&user);
        normal[1] = u8::try_from(normal.len() - 2).expect("small");
        let mut cp = vec![0x31, 0x00, 0xa0, 0x03, 0x80, 0x01, 0x01];
        cp.extend_from_slice(&normal);
        cp[1] = u8::try_from(cp.len() - 2).expect("small");
        let mut spdu = vec![
            0x0d, 0x00, 0x33, 0x02, 0x00, 0x01, 0x34, 0x02, 0x00, 0x02, 0xc1,
        ];
        spdu.push(u8::try_from(cp.len()).expect("small"));
        spdu.extend_from_slice(&cp);
        spdu[1] = u8::try_from(spdu.len() - 2).expect("small");
        let lax = unit(&spdu);
        assert_eq!(lax.stop, None, "{lax:?}");
        let u = lax.unit;
        assert_eq!(
            (u.spdu, u.calling_ssel, u.called_ssel),
            (Spdu::CONNECT, Some(&[0, 1][..]), Some(&[0, 2][..]))
        );
        assert_eq!(u.calling_psel, Some(&[0, 1][..]));
        let acse = u.acse.expect("an AARQ");
        assert_eq!(acse.apdu, Some(Apdu::AARQ));
        assert_eq!(acse.context, Some(&[0x28, 0xca, 0x22, 0x02, 0x03][..]));
        assert!(acse.password);
        let Some(MmsPdu::Initiate { parameters, .. }) = u.mms else {
            panic!("an initiate request");
        };
        assert_eq!(parameters.local_detail, Some(32_000));
        assert_eq!(parameters.version, Some(1));
    }

    #[test]
    fn locates_a_session_parameter_beyond_its_spdu() {
        let lax = unit(&[0x0d, 0x04, 0xc1, 0x09, 0x31, 0x00]);
        assert_eq!(
            lax.stop,
            Some(IsoError::Session {
                field: "parameter",
                offset: 2,
                claimed: 9,
                available: 2
            })
        );
    }

    #[test]
    fn refuses_data_that_is_neither_acse_nor_mms() {
        let lax = unit(&[
            0x01, 0x00, 0x01, 0x00, 0x61, 0x07, 0x30, 0x05, 0x02, 0x01, 0x03, 0x30, 0x00,
        ]);
        assert_eq!(lax.stop, None, "no value, nothing to refuse");
        let lax = unit(&[
            0x01, 0x00, 0x01, 0x00, 0x61, 0x09, 0x30, 0x07, 0x02, 0x01, 0x03, 0xa0, 0x02, 0x04,
            0x00,
        ]);
        assert_eq!(
            lax.stop.map(|e| e.code()),
            Some("unknown_presentation_payload")
        );
    }

    #[test]
    fn counts_access_results_and_their_failures() {
        // listOfAccessResult: success (visible-string), failure object-non-existent.
        let list = [0xa1, 0x07, 0x8a, 0x02, b'o', b'k', 0x80, 0x01, 0x0a];
        let t = Ber::new(&list, 0).next("list").expect("reads");
        assert_eq!(access_results(t), (2, 1, Some(10)));
    }
}
