#![no_main]
//! Custom rules: the TOML form and the expression language. Any input is either rules or an
//! error with a place, never a panic; an expression that compiles prints back to a text that
//! compiles to the same tree, and evaluates on a record without panicking.

use std::net::IpAddr;
use std::path::Path;

use rampart_detect::rules::{Expr, Subject, file};
use rampart_event::{Activity, Fields, FlowContext, Origin, Record, Value};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(rampart_detect::rules::RuleError::Invalid { line, .. }) =
        file::parse(text, Path::new("fuzz.toml"))
    {
        assert!(
            line >= 1 && line <= text.lines().count().max(1) + 1,
            "line {line}"
        );
    }
    let Ok(expr) = Expr::parse(text) else {
        return;
    };
    let printed = expr.to_string();
    let again = Expr::parse(&printed)
        .unwrap_or_else(|e| panic!("{printed:?} does not compile back: {}", e.message));
    assert_eq!(again, expr, "{printed:?}");
    let group = [("code", Value::U64(0x28))];
    let items = [Value::U64(1), Value::Str("x")];
    let fields = [
        ("unit_id", Value::U64(1)),
        ("address", Value::U64(4)),
        ("name", Value::Str("write")),
        ("values", Value::List(&items)),
        (
            "names",
            Value::Texts {
                text: "abc",
                ends: &[1, 3],
            },
        ),
        ("group", Value::Fields(Fields(&group))),
        ("ratio", Value::F64(0.5)),
        ("ip", Value::Ip(IpAddr::from([10, 0, 0, 1]))),
    ];
    let record = Record {
        protocol: "modbus",
        kind: "write_single_register",
        direction: None,
        activity: Some(Activity::Write),
        fields: Fields(&fields),
    };
    let origin = Origin::Flow(FlowContext {
        id: 1,
        transport: "tcp",
        app: Some("modbus"),
        client: (IpAddr::from([10, 0, 0, 9]), 40000),
        server: (IpAddr::from([10, 0, 0, 1]), 502),
        client_mac: None,
        server_mac: None,
        vlan: 0,
    });
    let subject = Subject {
        record: &record,
        origin: &origin,
    };
    assert_eq!(expr.eval(&subject), again.eval(&subject));
});
