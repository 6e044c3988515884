//! The expression language of custom rules' `where`: comparisons on event fields combined
//! with `and`, `or`, `not` and parentheses, compiled once into a tree and evaluated on each
//! record without allocating.
//!
//! A test on a field the record does not have is false, whatever the operator (`!=` and
//! `not in` too): a rule about `unit_id` says nothing about records without one. A test on a
//! list-valued field holds when an item satisfies it; its negated forms (`!=`, `not in`) hold
//! when no item satisfies the positive form.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use rampart_event::{Activity, Direction, Origin, Record, Value};

/// Parentheses and `not`s nested at most this deep, so no input can exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Tests at most in one expression: the tree is walked recursively, so its size is bounded.
pub const MAX_TESTS: usize = 512;

/// A mistake in an expression, at a byte offset of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset in the expression.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl ExprError {
    fn at(offset: usize, message: impl Into<String>) -> ExprError {
        ExprError {
            offset,
            message: message.into(),
        }
    }

    /// The 1-based column (in characters) of the mistake in `text`.
    pub fn column(&self, text: &str) -> usize {
        text.get(..self.offset)
            .map_or(self.offset, |s| s.chars().count())
            + 1
    }
}

/// What a test looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The sender's address.
    SourceIp,
    /// The sender's port.
    SourcePort,
    /// The receiver's address.
    DestinationIp,
    /// The receiver's port.
    DestinationPort,
    /// The record's protocol.
    Protocol,
    /// The record's kind.
    Kind,
    /// The record's activity (`write`, `plc_stop`, …).
    Action,
    /// `request`, `response` or `transaction`.
    Direction,
    /// A record field, nested through groups by `.`.
    Record(Vec<String>),
}

impl Field {
    fn parse(path: &str) -> Field {
        match path {
            "source.ip" => Field::SourceIp,
            "source.port" => Field::SourcePort,
            "destination.ip" => Field::DestinationIp,
            "destination.port" => Field::DestinationPort,
            "protocol" => Field::Protocol,
            "kind" => Field::Kind,
            "action" => Field::Action,
            "direction" => Field::Direction,
            other => Field::Record(other.split('.').map(String::from).collect()),
        }
    }

    /// The name as written in rules.
    pub fn name(&self) -> String {
        match self {
            Field::SourceIp => "source.ip".into(),
            Field::SourcePort => "source.port".into(),
            Field::DestinationIp => "destination.ip".into(),
            Field::DestinationPort => "destination.port".into(),
            Field::Protocol => "protocol".into(),
            Field::Kind => "kind".into(),
            Field::Action => "action".into(),
            Field::Direction => "direction".into(),
            Field::Record(path) => path.join("."),
        }
    }

    fn is_address(&self) -> bool {
        matches!(self, Field::SourceIp | Field::DestinationIp)
    }

    fn is_text(&self) -> bool {
        matches!(
            self,
            Field::Protocol | Field::Kind | Field::Action | Field::Direction
        )
    }
}

/// A constant in an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A whole number (decimal or `0x` hex, perhaps negative).
    Int(i128),
    /// A real number.
    Float(f64),
    /// A quoted text.
    Text(String),
    /// `true` or `false`.
    Bool(bool),
    /// An address.
    Ip(IpAddr),
    /// A network (`10.0.0.0/8`); equal to every address in it.
    Net(IpNet),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Float(x) if x.fract() == 0.0 => write!(f, "{x}.0"),
            Literal::Float(x) => write!(f, "{x}"),
            Literal::Text(s) => write!(f, "{}", Quoted(s)),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Ip(ip) => write!(f, "{ip}"),
            Literal::Net(n) => write!(f, "{n}"),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// The positive form of a test on one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `==`, `<`, `<=`, `>`, `>=`.
    Compare(Op, Literal),
    /// `in lo..hi`, both ends included.
    Range(i128, i128),
    /// `in [a, b, …]`.
    List(Vec<Literal>),
    /// `contains x`: a substring of a text, or an item of a list.
    Contains(Literal),
    /// `starts_with "x"`.
    StartsWith(String),
    /// A bare field: present and not `false`.
    Present,
}

/// A compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// Not.
    Not(Box<Expr>),
    /// A test on a field; `negated` for `!=` and `not in` (the field must still be there).
    Test {
        /// The field.
        field: Field,
        /// The positive test.
        test: Test,
        /// True for `!=` and `not in`.
        negated: bool,
    },
}

impl fmt::Display for Expr {
    /// Write the expression with only the parentheses its shape needs; it parses back to the
    /// same tree.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let grouped = |e: &Expr, group: bool| {
            if group {
                format!("({e})")
            } else {
                e.to_string()
            }
        };
        match self {
            Expr::Or(a, b) => write!(f, "{a} or {}", grouped(b, matches!(**b, Expr::Or(..)))),
            Expr::And(a, b) => write!(
                f,
                "{} and {}",
                grouped(a, matches!(**a, Expr::Or(..))),
                grouped(b, matches!(**b, Expr::Or(..) | Expr::And(..)))
            ),
            Expr::Not(e) => write!(
                f,
                "not {}",
                grouped(e, matches!(**e, Expr::Or(..) | Expr::And(..)))
            ),
            Expr::Test {
                field,
                test,
                negated,
            } => {
                let name = field.name();
                let not = if *negated { "not " } else { "" };
                match test {
                    Test::Compare(op, lit) => {
                        let op = match (op, negated) {
                            (Op::Eq, false) => "==",
                            (Op::Eq, true) => "!=",
                            (Op::Lt, _) => "<",
                            (Op::Le, _) => "<=",
                            (Op::Gt, _) => ">",
                            (Op::Ge, _) => ">=",
                        };
                        write!(f, "{name} {op} {lit}")
                    }
                    Test::Range(lo, hi) => write!(f, "{name} {not}in {lo}..{hi}"),
                    Test::List(items) => {
                        let items: Vec<String> = items.iter().map(ToString::to_string).collect();
                        write!(f, "{name} {not}in [{}]", items.join(", "))
                    }
                    Test::Contains(lit) => write!(f, "{name} contains {lit}"),
                    Test::StartsWith(s) => write!(f, "{name} starts_with {}", Quoted(s)),
                    Test::Present => f.write_str(&name),
                }
            }
        }
    }
}

/// A text written so the lexer reads it back: in double quotes, a backslash before each `"`
/// and backslash.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.chars() {
            if c == '"' || c == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("\"")
    }
}

impl Expr {
    /// Compile an expression.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let tokens = lex(text)?;
        let mut p = Parser {
            tokens: &tokens,
            at: 0,
            depth: 0,
            tests: 0,
            end: text.len(),
        };
        let expr = p.or()?;
        match p.peek() {
            None => Ok(expr),
            Some((at, t)) => Err(ExprError::at(
                *at,
                format!("unexpected {t} (expected `and`, `or` or the end)"),
            )),
        }
    }

    /// The fields the expression reads, each once, in order of appearance.
    pub fn fields(&self) -> Vec<Field> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields(&self, out: &mut Vec<Field>) {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.collect_fields(out);
                b.collect_fields(out);
            }
            Expr::Not(e) => e.collect_fields(out),
            Expr::Test { field, .. } => {
                if !out.contains(field) {
                    out.push(field.clone());
                }
            }
        }
    }

    /// True when the record from `origin` satisfies the expression.
    pub fn eval(&self, event: &Subject<'_>) -> bool {
        match self {
            Expr::And(a, b) => a.eval(event) && b.eval(event),
            Expr::Or(a, b) => a.eval(event) || b.eval(event),
            Expr::Not(e) => !e.eval(event),
            Expr::Test {
                field,
                test,
                negated,
            } => match event.get(field) {
                None => false,
                Some(value) => holds(test, value) != *negated,
            },
        }
    }
}

/// A record with where it came from: what an expression is evaluated on.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The record.
    pub record: &'a Record<'a>,
    /// Its flow or frame.
    pub origin: &'a Origin,
}

impl<'a> Subject<'a> {
    /// The value of a field, when the record has it.
    pub fn get(&self, field: &Field) -> Option<Value<'a>> {
        let r = self.record;
        let sides = match self.origin {
            Origin::Flow(c) if r.direction == Some(Direction::ToClient) => {
                Some((c.server, c.client))
            }
            Origin::Flow(c) => Some((c.client, c.server)),
            _ => None,
        };
        match field {
            Field::SourceIp => sides.map(|(s, _)| Value::Ip(s.0)),
            Field::SourcePort => sides.map(|(s, _)| Value::U64(s.1.into())),
            Field::DestinationIp => sides.map(|(_, d)| Value::Ip(d.0)),
            Field::DestinationPort => sides.map(|(_, d)| Value::U64(d.1.into())),
            Field::Protocol => Some(Value::Str(r.protocol)),
            Field::Kind => Some(Value::Str(r.kind)),
            Field::Action => r.activity.map(|a| Value::Str(a.as_str())),
            Field::Direction => Some(Value::Str(
                r.direction.map_or("transaction", Direction::as_str),
            )),
            Field::Record(path) => {
                let (first, rest) = path.split_first()?;
                let mut value = r.fields.get(first)?;
                for name in rest {
                    match value {
                        Value::Fields(group) => value = group.get(name)?,
                        _ => return None,
                    }
                }
                Some(value)
            }
        }
    }
}

/// Whether a value satisfies the positive form of a test; a list when any item does.
fn holds(test: &Test, value: Value<'_>) -> bool {
    match value {
        Value::List(items) => items.iter().any(|v| holds(test, *v)),
        Value::Strs(items) => items.iter().any(|s| holds(test, Value::Str(s))),
        Value::U64s(items) => items.iter().any(|n| holds(test, Value::U64(*n))),
        Value::U16s(items) => items.iter().any(|n| holds(test, Value::U64((*n).into()))),
        Value::Texts { text, ends } => {
            let mut start = 0;
            ends.iter().any(|&end| {
                let item = text.get(start..end).unwrap_or_default();
                start = end;
                holds(test, Value::Str(item))
            })
        }
        scalar => holds_scalar(test, scalar),
    }
}

fn holds_scalar(test: &Test, value: Value<'_>) -> bool {
    match test {
        Test::Compare(Op::Eq, lit) => equal(value, lit),
        Test::Compare(op, lit) => compare(value, lit).is_some_and(|o| match op {
            Op::Lt => o.is_lt(),
            Op::Le => o.is_le(),
            Op::Gt => o.is_gt(),
            Op::Ge => o.is_ge(),
            Op::Eq => o.is_eq(),
        }),
        Test::Range(lo, hi) => number(value).is_some_and(|n| *lo as f64 <= n && n <= *hi as f64),
        Test::List(items) => items.iter().any(|lit| equal(value, lit)),
        Test::Contains(lit) => match (value, lit) {
            (Value::Str(s), Literal::Text(t)) => s.contains(t.as_str()),
            _ => equal(value, lit),
        },
        Test::StartsWith(prefix) => {
            matches!(value, Value::Str(s) if s.starts_with(prefix.as_str()))
        }
        Test::Present => !matches!(value, Value::Bool(false)),
    }
}

fn number(value: Value<'_>) -> Option<f64> {
    match value {
        Value::U64(n) => Some(n as f64),
        Value::I64(n) => Some(n as f64),
        Value::F64(x) => Some(x),
        _ => None,
    }
}

fn equal(value: Value<'_>, lit: &Literal) -> bool {
    match (value, lit) {
        (Value::U64(a), Literal::Int(b)) => i128::from(a) == *b,
        (Value::I64(a), Literal::Int(b)) => i128::from(a) == *b,
        (Value::Str(a), Literal::Text(b)) => a == b,
        (Value::Bool(a), Literal::Bool(b)) => a == *b,
        (Value::Ip(a), Literal::Ip(b)) => a == *b,
        (Value::Ip(a), Literal::Net(n)) => n.contains(&a),
        (Value::Ip(a), Literal::Text(b)) => b.parse::<IpAddr>().is_ok_and(|b| a == b),
        (Value::Str(a), Literal::Ip(b)) => a.parse::<IpAddr>().is_ok_and(|a| a == *b),
        (Value::Str(a), Literal::Net(n)) => a.parse::<IpAddr>().is_ok_and(|a| n.contains(&a)),
        _ => compare(value, lit).is_some_and(|o| o.is_eq()),
    }
}

fn compare(value: Value<'_>, lit: &Literal) -> Option<std::cmp::Ordering> {
    match (value, lit) {
        (Value::U64(a), Literal::Int(b)) => Some(i128::from(a).cmp(b)),
        (Value::I64(a), Literal::Int(b)) => Some(i128::from(a).cmp(b)),
        (Value::Str(a), Literal::Text(b)) => Some(a.cmp(b.as_str())),
        (Value::Ip(a), Literal::Ip(b)) => Some(a.cmp(b)),
        (v, Literal::Float(b)) => number(v)?.partial_cmp(b),
        (Value::F64(a), Literal::Int(b)) => a.partial_cmp(&(*b as f64)),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Lit(Literal),
    Op(&'static str),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Name(n) => write!(f, "`{n}`"),
            Token::Lit(l) => write!(f, "`{l}`"),
            Token::Op(o) => write!(f, "`{o}`"),
        }
    }
}

const KEYWORDS: [&str; 6] = ["and", "or", "not", "in", "contains", "starts_with"];
const SYMBOLS: [&str; 12] = [
    "==", "!=", "<=", ">=", "..", "<", ">", "(", ")", "[", "]", ",",
];

fn lex(text: &str) -> Result<Vec<(usize, Token)>, ExprError> {
    let mut out = Vec::new();
    let mut at = 0;
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(at) {
        let rest = &text[at..];
        if b.is_ascii_whitespace() {
            at += 1;
        } else if let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            out.push((at, Token::Op(sym)));
            at += sym.len();
        } else if b == b'"' || b == b'\'' {
            let (text, len) =
                quoted(rest).ok_or_else(|| ExprError::at(at, "unterminated string"))?;
            out.push((at, Token::Lit(Literal::Text(text))));
            at += len;
        } else if b.is_ascii_digit()
            || (b == b'-' && bytes.get(at + 1).is_some_and(u8::is_ascii_digit))
            || rest.starts_with("::")
            || ipv6_with_letters(rest)
        {
            let len = number_len(rest);
            out.push((
                at,
                Token::Lit(number_literal(&rest[..len]).map_err(|m| ExprError::at(at, m))?),
            ));
            at += len;
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len());
            let word = &rest[..len];
            let token = match word {
                "true" => Token::Lit(Literal::Bool(true)),
                "false" => Token::Lit(Literal::Bool(false)),
                w if KEYWORDS.contains(&w) => {
                    Token::Op(KEYWORDS.iter().find(|k| **k == w).copied().unwrap_or(""))
                }
                w if w.ends_with('.') || w.contains("..") => {
                    return Err(ExprError::at(at, format!("`{w}` is not a field name")));
                }
                w => Token::Name(w.to_string()),
            };
            out.push((at, token));
            at += len;
        } else {
            let c = rest.chars().next().unwrap_or('?');
            return Err(ExprError::at(at, format!("unexpected `{c}`")));
        }
    }
    Ok(out)
}

/// A quoted text at the start of `rest` (`"…"` or `'…'`, `\` escaping the next character),
/// and its length in bytes with the quotes.
fn quoted(rest: &str) -> Option<(String, usize)> {
    let mut chars = rest.char_indices();
    let (_, quote) = chars.next()?;
    let mut text = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => text.push(chars.next()?.1),
            c if c == quote => return Some((text, i + c.len_utf8())),
            c => text.push(c),
        }
    }
    None
}

/// True when `rest` starts with hex digits and a colon: an IPv6 address such as `fe80::1`,
/// which would otherwise read as a field name.
fn ipv6_with_letters(rest: &str) -> bool {
    let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
    hex > 0 && rest.as_bytes().get(hex) == Some(&b':')
}

/// Length of a number or address at the start of `rest`, stopping before `..`.
fn number_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    while let Some(&c) = b.get(i) {
        let part = c.is_ascii_alphanumeric() || matches!(c, b':' | b'/' | b'_');
        let dot = c == b'.' && b.get(i + 1) != Some(&b'.');
        if !(part || dot) {
            break;
        }
        i += 1;
    }
    i
}

fn number_literal(word: &str) -> Result<Literal, String> {
    let clean = word.replace('_', "");
    if let Some(hex) = clean
        .strip_prefix("0x")
        .or_else(|| clean.strip_prefix("0X"))
    {
        return i128::from_str_radix(hex, 16)
            .map(Literal::Int)
            .map_err(|_| format!("`{word}` is not a number"));
    }
    if let Ok(n) = clean.parse::<i128>() {
        return Ok(Literal::Int(n));
    }
    if let Ok(ip) = word.parse::<IpAddr>() {
        return Ok(Literal::Ip(ip));
    }
    if let Ok(net) = word.parse::<IpNet>() {
        return Ok(Literal::Net(net.trunc()));
    }
    match clean.parse::<f64>() {
        Ok(x) if x.is_finite() && !clean.contains(['e', 'E', 'i', 'n']) => Ok(Literal::Float(x)),
        _ => Err(format!("`{word}` is not a number, an address or a network")),
    }
}

struct Parser<'a> {
    tokens: &'a [(usize, Token)],
    at: usize,
    depth: usize,
    tests: usize,
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&(usize, Token)> {
        self.tokens.get(self.at)
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.end, |(at, _)| *at)
    }

    fn eat(&mut self, op: &str) -> bool {
        let found = matches!(self.peek(), Some((_, Token::Op(o))) if *o == op);
        if found {
            self.at += 1;
        }
        found
    }

    fn deeper(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::at(
                self.offset(),
                format!("nested more than {MAX_DEPTH} deep"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.and()?;
        while self.eat("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while self.eat("and") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat("not") {
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.eat("(") {
            self.deeper()?;
            let inner = self.or()?;
            self.depth -= 1;
            if !self.eat(")") {
                return Err(self.expected("`)`"));
            }
            return Ok(inner);
        }
        self.test()
    }

    fn expected(&self, what: &str) -> ExprError {
        match self.peek() {
            Some((at, t)) => ExprError::at(*at, format!("expected {what}, found {t}")),
            None => ExprError::at(self.end, format!("expected {what} at the end")),
        }
    }

    fn test(&mut self) -> Result<Expr, ExprError> {
        let Some((field_at, Token::Name(name))) = self.peek().cloned() else {
            return Err(self.expected("a field name, `not` or `(`"));
        };
        self.at += 1;
        self.tests += 1;
        if self.tests > MAX_TESTS {
            return Err(ExprError::at(
                field_at,
                format!("more than {MAX_TESTS} tests"),
            ));
        }
        let field = Field::parse(&name);
        let op_at = self.offset();
        let (test, negated) = match self.peek().map(|(_, t)| t.clone()) {
            Some(Token::Op(op @ ("==" | "!=" | "<" | "<=" | ">" | ">="))) => {
                self.at += 1;
                let lit = self.literal()?;
                let negated = op == "!=";
                let op = match op {
                    "<" => Op::Lt,
                    "<=" => Op::Le,
                    ">" => Op::Gt,
                    ">=" => Op::Ge,
                    _ => Op::Eq,
                };
                (Test::Compare(op, lit), negated)
            }
            Some(Token::Op("in")) => {
                self.at += 1;
                (self.set()?, false)
            }
            Some(Token::Op("not")) => {
                self.at += 1;
                if !self.eat("in") {
                    return Err(self.expected("`in` after `not`"));
                }
                (self.set()?, true)
            }
            Some(Token::Op("contains")) => {
                self.at += 1;
                (Test::Contains(self.literal()?), false)
            }
            Some(Token::Op("starts_with")) => {
                self.at += 1;
                match self.literal()? {
                    Literal::Text(s) => (Test::StartsWith(s), false),
                    _ => return Err(ExprError::at(op_at, "`starts_with` takes a quoted text")),
                }
            }
            _ => (Test::Present, false),
        };
        check(&field, &test).map_err(|m| ExprError::at(field_at, m))?;
        Ok(Expr::Test {
            field,
            test,
            negated,
        })
    }

    fn literal(&mut self) -> Result<Literal, ExprError> {
        match self.peek() {
            Some((_, Token::Lit(lit))) => {
                let lit = lit.clone();
                self.at += 1;
                Ok(lit)
            }
            _ => Err(self.expected("a value")),
        }
    }

    /// `lo..hi`, `[a, b]`, or a single network.
    fn set(&mut self) -> Result<Test, ExprError> {
        let start = self.offset();
        if self.eat("[") {
            let mut items = Vec::new();
            loop {
                if self.eat("]") {
                    break;
                }
                items.push(self.literal()?);
                if !self.eat(",") {
                    if !self.eat("]") {
                        return Err(self.expected("`,` or `]`"));
                    }
                    break;
                }
            }
            if items.is_empty() {
                return Err(ExprError::at(start, "an empty list matches nothing"));
            }
            return Ok(Test::List(items));
        }
        match self.literal()? {
            Literal::Net(n) => Ok(Test::List(vec![Literal::Net(n)])),
            Literal::Int(lo) => {
                if !self.eat("..") {
                    return Err(self.expected("`..` (a range is written `lo..hi`)"));
                }
                let hi_at = self.offset();
                match self.literal()? {
                    Literal::Int(hi) if hi >= lo => Ok(Test::Range(lo, hi)),
                    Literal::Int(hi) => Err(ExprError::at(
                        hi_at,
                        format!("the range {lo}..{hi} is empty"),
                    )),
                    _ => Err(ExprError::at(hi_at, "a range ends with a whole number")),
                }
            }
            _ => Err(ExprError::at(
                start,
                "`in` takes a range `lo..hi`, a list `[a, b]` or a network",
            )),
        }
    }
}

/// Refuse tests that can never hold on the built-in fields.
fn check(field: &Field, test: &Test) -> Result<(), String> {
    let name = field.name();
    let lits: Vec<&Literal> = match test {
        Test::Compare(_, l) | Test::Contains(l) => vec![l],
        Test::List(items) => items.iter().collect(),
        Test::Range(..) | Test::StartsWith(_) | Test::Present => Vec::new(),
    };
    if field.is_address() {
        let ok = lits.iter().all(|l| match l {
            Literal::Ip(_) | Literal::Net(_) => true,
            Literal::Text(t) => t.parse::<IpAddr>().is_ok(),
            _ => false,
        });
        if !ok || matches!(test, Test::Range(..) | Test::StartsWith(_)) {
            return Err(format!(
                "{name} is an address: compare it with addresses or networks"
            ));
        }
    }
    if field.is_text() && !lits.iter().all(|l| matches!(l, Literal::Text(_))) {
        return Err(format!("{name} is a text: compare it with quoted texts"));
    }
    if *field == Field::Action {
        for lit in &lits {
            if let Literal::Text(t) = lit
                && Activity::from_name(t).is_none()
            {
                let known: Vec<&str> = Activity::ALL.iter().map(|a| a.as_str()).collect();
                return Err(format!(
                    "unknown action `{t}` (known: {})",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixture::modbus_write;
    use rampart_event::Fields;

    fn parse(text: &str) -> Expr {
        Expr::parse(text).unwrap_or_else(|e| panic!("{text}: {} at {}", e.message, e.column(text)))
    }

    fn error(text: &str) -> (usize, String) {
        let e = Expr::parse(text).expect_err("invalid");
        (e.column(text), e.message)
    }

    #[test]
    fn binds_and_tighter_than_or_and_prints_what_it_understood() {
        let e = parse("a == 1 or b == 2 and not c in 1..3");
        assert_eq!(e.to_string(), "a == 1 or b == 2 and not c in 1..3");
        assert_eq!(parse(&e.to_string()), e);
        let e = parse("(a == 1 or b != \"x\") and source.ip not in [10.0.0.5, 192.168.0.0/16]");
        assert_eq!(
            e.to_string(),
            "(a == 1 or b != \"x\") and source.ip not in [10.0.0.5, 192.168.0.0/16]"
        );
        let e = parse(
            r#"not (a or b) and (c and (d or e)) or f == 'q"\\' or x == 1.0 or y in [fe80::1, ::1, 2.5]"#,
        );
        assert_eq!(
            e.to_string(),
            r#"not (a or b) and (c and (d or e)) or f == "q\"\\" or x == 1.0 or y in [fe80::1, ::1, 2.5]"#
        );
        assert_eq!(parse(&e.to_string()), e);
        assert_eq!(
            parse("umas.function_code >= 0x28 and flag").to_string(),
            "umas.function_code >= 40 and flag"
        );
        assert_eq!(parse("x in -5..5").to_string(), "x in -5..5");
        assert_eq!(
            parse("unit_id == 1 and address in 0..9").fields(),
            [
                Field::Record(vec!["unit_id".into()]),
                Field::Record(vec!["address".into()])
            ]
        );
    }

    #[test]
    fn errors_name_the_column() {
        assert_eq!(
            error("unit_id == "),
            (12, "expected a value at the end".into())
        );
        assert_eq!(error("unit_id = 1"), (9, "unexpected `=`".into()));
        assert_eq!(
            error("a == 1 and (b == 2"),
            (19, "expected `)` at the end".into())
        );
        assert_eq!(error("a in 10..2"), (10, "the range 10..2 is empty".into()));
        assert_eq!(
            error("a in [1, 2"),
            (11, "expected `,` or `]` at the end".into())
        );
        assert_eq!(
            error("a == 1 b == 2"),
            (8, "unexpected `b` (expected `and`, `or` or the end)".into())
        );
        assert_eq!(error("s == \"open"), (6, "unterminated string".into()));
        assert_eq!(
            error("a not 1"),
            (7, "expected `in` after `not`, found `1`".into())
        );
        assert_eq!(
            error("source.ip == 5"),
            (
                1,
                "source.ip is an address: compare it with addresses or networks".into()
            )
        );
        assert!(
            error("action == \"wrte\"")
                .1
                .starts_with("unknown action `wrte` (known: read, write,")
        );
        assert_eq!(
            error("a == 10.0.0.300"),
            (
                6,
                "`10.0.0.300` is not a number, an address or a network".into()
            )
        );
        assert_eq!(error("é == 1"), (1, "unexpected `é`".into()));
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert!(error(&deep).1.contains("nested more than 64 deep"));
        let long = vec!["a == 1"; 513].join(" and ");
        assert_eq!(error(&long), (512 * 11 + 1, "more than 512 tests".into()));
        let long = vec!["a == 1"; 513].join(" and ");
        assert_eq!(error(&long), (513 * 11 - 10, "more than 512 tests".into()));
    }

    #[test]
    fn evaluates_on_records_and_their_flow() {
        let group = [("function_code", Value::U64(0x28))];
        let fields = [
            ("unit_id", Value::U64(1)),
            ("address", Value::U64(3)),
            ("values", Value::List(&[Value::U64(7), Value::U64(900)])),
            ("function", Value::Str("write_multiple_registers")),
            ("umas", Value::Fields(Fields(&group))),
            ("ratio", Value::F64(0.5)),
        ];
        let (record, origin) = modbus_write(&fields, 9);
        let s = Subject {
            record: &record,
            origin: &origin,
        };
        let holds = |text: &str| parse(text).eval(&s);
        assert!(holds(
            "unit_id == 1 and address in 0..9 and source.ip not in [10.0.0.5]"
        ));
        assert!(!holds("unit_id == 1 and address in 4..9"));
        assert!(holds(
            "values contains 900 and values > 800 and not values > 900"
        ));
        assert!(holds("values != 5 and values not in [1, 2]"));
        assert!(!holds("values != 7"));
        assert!(holds(
            "function starts_with \"write_\" and function contains \"multiple\""
        ));
        assert!(holds("umas.function_code == 0x28 and umas"));
        assert!(holds("ratio < 1 and ratio >= 0.5"));
        assert!(holds(
            "protocol == \"modbus\" and action == \"write\" and kind != \"read\""
        ));
        assert!(holds(
            "destination.port == 502 and source.ip in 10.0.0.0/24 and direction == \"transaction\""
        ));
        assert!(holds("source.ip == \"10.0.0.9\""));
        assert!(!holds("missing == 1"), "a missing field fails every test");
        assert!(!holds("missing != 1"));
        assert!(!holds("missing not in [1]"));
        assert!(holds("not missing == 1"));
        assert!(!holds("unit_id == \"1\""), "a number is not a text");
        assert!(!holds("umas.function_code.deeper == 1"));
        let (record, origin) = modbus_write(&fields, 5);
        assert!(!parse("source.ip not in [10.0.0.5]").eval(&Subject {
            record: &record,
            origin: &origin
        }));
    }
}
