//! The TOML form of custom rules: `[[rule]]` tables, checked and compiled once, every
//! mistake reported with the file, the line and, inside a `where`, the column.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rampart_event::Activity;
use serde::Deserialize;
use toml::Spanned;

use super::expr::Expr;
use crate::{Severity, technique};

/// Rules at most in one set; more is refused, since each becomes a static alert rule for
/// the life of the process.
pub const MAX_RULES: usize = 1024;

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A rule is wrong.
    #[error("{}", describe(.path, *.line, .rule, *.column, .message))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the mistake.
        line: usize,
        /// The rule's id and the line its `id` is on, when the mistake is in a rule.
        rule: Option<(String, usize)>,
        /// 1-based column of the mistake: within its `where` expression line for an
        /// expression, within the file line otherwise.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
}

fn describe(
    path: &Path,
    line: usize,
    rule: &Option<(String, usize)>,
    column: Option<usize>,
    message: &str,
) -> String {
    let mut out = format!("{}:{line}: ", path.display());
    if let Some((id, at)) = rule {
        out.push_str(&format!("rule `{id}` (line {at}): "));
    }
    if let Some(c) = column {
        let place = if rule.is_some() {
            "where, column"
        } else {
            "column"
        };
        out.push_str(&format!("{place} {c}: "));
    }
    out.push_str(message);
    out
}

/// One custom rule, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomRule {
    /// The user's id; the alert rule is `custom.<id>`.
    pub id: String,
    /// Alert title.
    pub title: String,
    /// Alert description, when the rule gives one.
    pub description: Option<String>,
    /// Severity (default major).
    pub severity: Severity,
    /// ATT&CK for ICS technique ids.
    pub techniques: Vec<&'static str>,
    /// Only records of this protocol.
    pub protocol: Option<String>,
    /// Only records of this kind.
    pub kind: Option<String>,
    /// Only records with this activity.
    pub action: Option<Activity>,
    /// The condition.
    pub condition: Option<Expr>,
    /// What to do.
    pub remediation: String,
    /// Where the rule is written: file and line of its `id`.
    pub origin: (PathBuf, usize),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    title: Option<String>,
    description: Option<String>,
    severity: Option<Spanned<String>>,
    #[serde(default)]
    techniques: Vec<Spanned<String>>,
    protocol: Option<String>,
    kind: Option<String>,
    action: Option<Spanned<String>>,
    #[serde(rename = "where")]
    condition: Option<Spanned<String>>,
    remediation: Option<String>,
}

/// Parse and compile the rules of one file; `path` names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Vec<CustomRule>, RuleError> {
    let file: RawFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        RuleError::Invalid {
            path: path.to_path_buf(),
            line,
            rule: None,
            column: Some(column),
            message: e.message().trim_end().to_string(),
        }
    })?;
    let at = |span: Range<usize>| line_col(text, span.start).0;
    file.rule
        .into_iter()
        .map(|raw| {
            let id_line = at(raw.id.span());
            let fail = |line: usize, column: Option<usize>, message: String| RuleError::Invalid {
                path: path.to_path_buf(),
                line,
                rule: Some((raw.id.get_ref().clone(), id_line)),
                column,
                message,
            };
            compile(&raw, text, path, id_line)
                .map_err(|(span, column, message)| fail(span.map_or(id_line, &at), column, message))
        })
        .collect()
}

/// A mistake in a rule: the span it is at (or the rule's id), the column inside `where`,
/// and the message.
type Mistake = (Option<Range<usize>>, Option<usize>, String);

fn compile(raw: &RawRule, text: &str, path: &Path, line: usize) -> Result<CustomRule, Mistake> {
    let id = raw.id.get_ref();
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !id_ok {
        return Err((
            None,
            None,
            format!("id `{id}` must be 1–64 of a-z, 0-9, `-`, `_`"),
        ));
    }
    let severity = match &raw.severity {
        None => Severity::Major,
        Some(s) => Severity::from_name(s.get_ref()).ok_or_else(|| {
            (
                Some(s.span()),
                None,
                format!(
                    "unknown severity `{}` (known: warning, minor, major, critical)",
                    s.get_ref()
                ),
            )
        })?,
    };
    let techniques = raw
        .techniques
        .iter()
        .map(|t| {
            technique::TECHNIQUES
                .iter()
                .find(|(known, _)| *known == t.get_ref())
                .map(|(known, _)| *known)
                .ok_or_else(|| {
                    (
                        Some(t.span()),
                        None,
                        format!("unknown ATT&CK for ICS technique `{}`", t.get_ref()),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let action = match &raw.action {
        None => None,
        Some(a) => Some(Activity::from_name(a.get_ref()).ok_or_else(|| {
            let known: Vec<&str> = Activity::ALL.iter().map(|a| a.as_str()).collect();
            (
                Some(a.span()),
                None,
                format!(
                    "unknown action `{}` (known: {})",
                    a.get_ref(),
                    known.join(", ")
                ),
            )
        })?),
    };
    let condition = match &raw.condition {
        None => None,
        Some(w) => Some(Expr::parse(w.get_ref()).map_err(|e| where_mistake(text, w, &e))?),
    };
    if raw.protocol.is_none() && raw.kind.is_none() && action.is_none() && condition.is_none() {
        return Err((
            None,
            None,
            "the rule matches every record: give protocol, kind, action or where".into(),
        ));
    }
    Ok(CustomRule {
        id: id.clone(),
        title: raw
            .title
            .clone()
            .unwrap_or_else(|| format!("Custom rule {id}")),
        description: raw.description.clone(),
        severity,
        techniques,
        protocol: raw.protocol.clone(),
        kind: raw.kind.clone(),
        action,
        condition,
        remediation: raw.remediation.clone().unwrap_or_default(),
        origin: (path.to_path_buf(), line),
    })
}

/// Place an expression error: the file line it is on and its column on that line of the
/// expression. When the TOML string has escapes, the expression is not the source text, so
/// the line is the `where`'s first.
fn where_mistake(text: &str, w: &Spanned<String>, e: &super::expr::ExprError) -> Mistake {
    let value = w.get_ref();
    let span = w.span();
    let raw = text.get(span.clone()).unwrap_or_default();
    let mut start = span.start
        + if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else {
            1
        };
    if raw.len() > 3 && (raw.starts_with("\"\"\"") || raw.starts_with("'''")) {
        if text.get(start..start + 1) == Some("\n") {
            start += 1;
        } else if text.get(start..start + 2) == Some("\r\n") {
            start += 2;
        }
    }
    let before = value.get(..e.offset).unwrap_or(value);
    let column = before.rsplit('\n').next().unwrap_or(before).chars().count() + 1;
    let exact = text.get(start..start + value.len()) == Some(value.as_str());
    let at = if exact {
        start + before.len()
    } else {
        span.start
    };
    (Some(at..at), Some(column), e.message.clone())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or(before).chars().count() + 1;
    (line, column)
}

/// Check that ids are unique across a set of rules and that the set is not too large.
pub fn check_set(rules: &[CustomRule]) -> Result<(), RuleError> {
    if let Some(extra) = rules.get(MAX_RULES) {
        return Err(RuleError::Invalid {
            path: extra.origin.0.clone(),
            line: extra.origin.1,
            rule: None,
            column: None,
            message: format!("more than {MAX_RULES} rules"),
        });
    }
    for (i, rule) in rules.iter().enumerate() {
        if let Some(first) = rules[..i].iter().find(|r| r.id == rule.id) {
            return Err(RuleError::Invalid {
                path: rule.origin.0.clone(),
                line: rule.origin.1,
                rule: None,
                column: None,
                message: format!(
                    "rule id `{}` is already used at {}:{}",
                    rule.id,
                    first.origin.0.display(),
                    first.origin.1
                ),
            });
        }
    }
    Ok(())
}

impl fmt::Display for CustomRule {
    /// One line: id, severity, techniques, filters and the condition as understood.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "custom.{} [{}]", self.id, self.severity.as_str())?;
        if !self.techniques.is_empty() {
            write!(f, " {}", self.techniques.join(","))?;
        }
        for (name, value) in [
            ("protocol", self.protocol.as_deref()),
            ("kind", self.kind.as_deref()),
            ("action", self.action.map(Activity::as_str)),
        ] {
            if let Some(v) = value {
                write!(f, " {name}={v}")?;
            }
        }
        if let Some(c) = &self.condition {
            write!(f, " where {c}")?;
        }
        write!(f, " — {}", self.title)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, Path::new("r.toml"))
            .expect_err("invalid")
            .to_string()
    }

    const GOOD: &str = r#"# Set-points of unit 1 are written by the HMI only.
[[rule]]
id = "unit1-setpoints"
title = "Write to unit 1 set-points"
severity = "critical"
techniques = ["T0836", "T0855"]
protocol = "modbus"
action = "write"
where = "unit_id == 1 and address in 0..9 and source.ip not in [10.0.0.5]"

[[rule]]
id = "any-stop"
action = "plc_stop"
"#;

    #[test]
    fn compiles_rules_with_their_defaults() {
        let rules = parse(GOOD, Path::new("r.toml")).expect("valid");
        assert_eq!(rules.len(), 2);
        assert_eq!(
            rules[0].to_string(),
            "custom.unit1-setpoints [critical] T0836,T0855 protocol=modbus action=write where unit_id == 1 and address in 0..9 and source.ip not in [10.0.0.5] — Write to unit 1 set-points"
        );
        assert_eq!(rules[0].origin, (PathBuf::from("r.toml"), 3));
        assert_eq!(
            rules[1].to_string(),
            "custom.any-stop [major] action=plc_stop — Custom rule any-stop"
        );
        assert_eq!(rules[1].origin.1, 12);
    }

    #[test]
    fn expression_errors_name_file_rule_line_and_column() {
        let text = GOOD.replace("address in 0..9", "address in 0..");
        assert_eq!(
            err(&text),
            "r.toml:9: rule `unit1-setpoints` (line 3): where, column 33: expected a value, found `and`"
        );
        let text = "[[rule]]\nid = \"multi\"\nprotocol = \"modbus\"\nwhere = \"\"\"\nunit_id == 1\n  and address => 3\n\"\"\"\n";
        assert_eq!(
            err(text),
            "r.toml:6: rule `multi` (line 2): where, column 15: unexpected `=`"
        );
        let text = "[[rule]]\nid = \"esc\"\nwhere = \"kind == \\\"x\\\" and\"\n";
        assert_eq!(
            err(text),
            "r.toml:3: rule `esc` (line 2): where, column 16: expected a field name, `not` or `(` at the end"
        );
    }

    #[test]
    fn field_errors_name_the_line_of_the_value() {
        assert_eq!(
            err("[[rule]]\nid = \"a\"\nprotocol = \"modbus\"\nseverity = \"huge\"\n"),
            "r.toml:4: rule `a` (line 2): unknown severity `huge` (known: warning, minor, major, critical)"
        );
        assert_eq!(
            err(
                "[[rule]]\nid = \"a\"\nprotocol = \"modbus\"\ntechniques = [\"T0836\",\n  \"T9999\"]\n"
            ),
            "r.toml:5: rule `a` (line 2): unknown ATT&CK for ICS technique `T9999`"
        );
        assert!(
            err("[[rule]]\nid = \"a\"\naction = \"wrte\"\n").starts_with(
                "r.toml:3: rule `a` (line 2): unknown action `wrte` (known: read, write,"
            )
        );
        assert_eq!(
            err("[[rule]]\nid = \"Bad Id\"\nprotocol = \"x\"\n"),
            "r.toml:2: rule `Bad Id` (line 2): id `Bad Id` must be 1–64 of a-z, 0-9, `-`, `_`"
        );
        assert_eq!(
            err("[[rule]]\nid = \"all\"\n"),
            "r.toml:2: rule `all` (line 2): the rule matches every record: give protocol, kind, action or where"
        );
        let e = err("[[rule]]\nid = \"a\"\nprotocl = \"modbus\"\n");
        assert!(
            e.starts_with("r.toml:3: column 1: unknown field `protocl`"),
            "{e}"
        );
        let e = err("[[rule]]\ntitle = \"no id\"\nprotocol = \"x\"\n");
        assert!(
            e.starts_with("r.toml:1: column 1: missing field `id`"),
            "{e}"
        );
    }

    #[test]
    fn ids_are_unique_across_files() {
        let mut rules = parse(GOOD, Path::new("a.toml")).expect("valid");
        rules.extend(
            parse(
                "[[rule]]\n\nid = \"any-stop\"\nprotocol = \"s7comm\"\n",
                Path::new("b.toml"),
            )
            .expect("valid"),
        );
        let e = check_set(&rules).expect_err("duplicate").to_string();
        assert_eq!(
            e,
            "b.toml:3: rule id `any-stop` is already used at a.toml:12"
        );
    }
}
