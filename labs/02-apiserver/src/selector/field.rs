//! Field selectors: `status.phase=Running,spec.nodeName!=node-1`, as
//! `k8s.io/apimachinery/pkg/fields` parses and matches them.
//!
//! Much simpler than label selectors: terms separated by commas, each `field=value`,
//! `field==value` (the same) or `field!=value`, all of which must hold. No sets, no existence
//! tests, no whitespace trimming. A missing field reads as the empty string, so
//! `spec.nodeName=` selects the pods not yet scheduled.
//!
//! Values may contain any character; `\`, `,` and `=` are written escaped (`\\`, `\,`, `\=`),
//! which is what `fields.EscapeValue` produces and kubectl sends. The field name cannot be
//! escaped: the first `!=`, `==` or `=` in a term ends it.
//!
//! Which fields a resource offers, and how they are read from an object, is
//! `fields_by_kind.rs`; this file only knows terms and sets of field values.

use std::collections::BTreeMap;
use std::fmt;

use super::error::SelectorError;

/// The values of an object's selectable fields, by field name (`fields.Set`).
pub type Fields = BTreeMap<String, String>;

/// The two kinds of field term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOperator {
    /// `field=value` or `field==value`.
    Equals,
    /// `field!=value`.
    NotEquals,
}

/// One term of a field selector, its value unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTerm {
    /// The field's name, such as `spec.nodeName`.
    pub field: String,
    /// Equality or inequality.
    pub operator: FieldOperator,
    /// The value compared with, without escapes.
    pub value: String,
}

/// A field selector: terms that must all hold. No terms selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    /// The terms, sorted by their text as written (the real parser sorts them, so this is the
    /// order in which an unsupported field is reported).
    terms: Vec<FieldTerm>,
}

/// The operators a term may use, longest first so `!=` and `==` are not read as `=`.
const TERM_OPERATORS: [(&str, FieldOperator); 3] = [
    ("!=", FieldOperator::NotEquals),
    ("==", FieldOperator::Equals),
    ("=", FieldOperator::Equals),
];

impl FieldSelector {
    /// The selector that matches every object.
    pub fn everything() -> FieldSelector {
        FieldSelector::default()
    }

    // ANCHOR: field_parse
    /// Parses a field selector string (`fields.ParseSelector`). The empty string selects
    /// everything; empty terms (`a=b,,c=d`) are skipped.
    pub fn parse(input: &str) -> Result<FieldSelector, SelectorError> {
        // BEGIN SOLUTION step-3: split into terms at unescaped commas, sort them, skip empty ones; split each at its first operator (error "invalid selector: '<input>'; can't understand '<term>'" if none) and unescape the value
        let mut parts = split_terms(input);
        parts.sort_unstable();
        let mut terms = Vec::new();
        for part in parts.into_iter().filter(|part| !part.is_empty()) {
            let Some((field, operator, value)) = split_term(part) else {
                return Err(SelectorError::Field {
                    message: format!("invalid selector: '{input}'; can't understand '{part}'"),
                });
            };
            terms.push(FieldTerm {
                field: field.to_owned(),
                operator,
                value: unescape_value(value)?,
            });
        }
        Ok(FieldSelector { terms })
        // END SOLUTION
    }
    // ANCHOR_END: field_parse

    /// The terms, in the order they are checked.
    pub fn terms(&self) -> &[FieldTerm] {
        &self.terms
    }

    /// Whether the selector matches every object.
    pub fn is_everything(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value `field` must have, when one `field=value` term requires it (the API server
    /// uses this to read one key instead of a whole list for `metadata.name=web`).
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|term| term.field == field && term.operator == FieldOperator::Equals)
            .map(|term| term.value.as_str())
    }

    /// Renames or rejects each field through `convert` (`Selector.Transform` with the
    /// resource's field-label conversion): the first term it refuses is the error.
    pub fn transform(
        mut self,
        convert: impl Fn(&str) -> Result<&'static str, SelectorError>,
    ) -> Result<FieldSelector, SelectorError> {
        for term in &mut self.terms {
            term.field = convert(&term.field)?.to_owned();
        }
        Ok(self)
    }

    /// Whether an object with these field values is selected; a missing field reads as "".
    pub fn matches(&self, fields: &Fields) -> bool {
        self.terms.iter().all(|term| {
            let actual = fields.get(&term.field).map_or("", String::as_str);
            match term.operator {
                FieldOperator::Equals => actual == term.value,
                FieldOperator::NotEquals => actual != term.value,
            }
        })
    }
}

/// The canonical text: `field=value` or `field!=value`, values escaped, joined by commas.
impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let operator = match term.operator {
                FieldOperator::Equals => "=",
                FieldOperator::NotEquals => "!=",
            };
            write!(f, "{}{operator}{}", term.field, escape_value(&term.value))?;
        }
        Ok(())
    }
}

/// Splits at the commas that are not escaped; the escapes stay in the terms.
fn split_terms(input: &str) -> Vec<&str> {
    if input.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in input.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            terms.push(&input[start..i]);
            start = i + 1;
        }
    }
    terms.push(&input[start..]);
    terms
}

/// Splits a term at the first place where an operator starts: `(field, operator, raw value)`.
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    term.char_indices().find_map(|(i, _)| {
        TERM_OPERATORS.iter().find_map(|(text, operator)| {
            term[i..]
                .starts_with(text)
                .then(|| (&term[..i], *operator, &term[i + text.len()..]))
        })
    })
}

/// Escapes a literal value for a field selector (`fields.EscapeValue`): `\` `,` `=` get a
/// backslash.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Undoes [`escape_value`] (`fields.UnescapeValue`). Any other escape, a trailing lone `\`,
/// or an unescaped `,` or `=` is an error with the real server's wording; note that Go prints
/// the offending character as its number (`=` is 61).
pub fn unescape_value(value: &str) -> Result<String, SelectorError> {
    let mut out = String::with_capacity(value.len());
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(SelectorError::Field {
                    message: format!("invalid field selector: invalid escape sequence: \\{c}"),
                });
            }
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, ',' | '=') {
            return Err(SelectorError::Field {
                message: format!(
                    "invalid field selector: unescaped character in value: {}",
                    u32::from(c)
                ),
            });
        } else {
            out.push(c);
        }
    }
    if escaped {
        return Err(SelectorError::Field {
            message: "invalid field selector: invalid escape sequence: \\".to_owned(),
        });
    }
    Ok(out)
}
