//! The rules for label keys and values, and the wording of their errors, as
//! `k8s.io/apimachinery/pkg/util/validation` has them.
//!
//! A label key is a *qualified name*: an optional prefix that is a DNS subdomain (lowercase, at
//! most 253 characters) and a `/`, then a name of at most 63 characters made of alphanumerics,
//! `-`, `_` and `.`, starting and ending with an alphanumeric (`app`, `app.kubernetes.io/name`).
//! A label value is empty or follows the same rule as the name part.
//!
//! Kubernetes checks these with regular expressions and prints the expression in the message;
//! here the same checks are written out by hand (no regex engine needed), and the messages quote
//! the same expressions so they read exactly like the real ones.

/// The regular expression of a qualified name's name part, as the messages print it.
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MAX: usize = 63;

const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MAX: usize = 63;

const DNS1123_SUBDOMAIN_FMT: &str =
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MAX: usize = 253;

/// What is wrong with a label key, one message per problem (`validation.IsQualifiedName`).
/// Empty when the key is valid.
pub(crate) fn qualified_name_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_owned());
            } else {
                errors.extend(
                    dns1123_subdomain_errors(prefix)
                        .into_iter()
                        .map(|message| format!("prefix part {message}")),
                );
            }
            *name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_ERR,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            )];
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_owned());
    } else if name.len() > QUALIFIED_NAME_MAX {
        errors.push(format!("name part {}", max_len_error(QUALIFIED_NAME_MAX)));
    }
    if !is_qualified_name_part(name) {
        errors.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errors
}

/// What is wrong with a label value (`validation.IsValidLabelValue`). Empty when it is valid.
pub(crate) fn label_value_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > LABEL_VALUE_MAX {
        errors.push(max_len_error(LABEL_VALUE_MAX));
    }
    if !(value.is_empty() || is_qualified_name_part(value)) {
        errors.push(regex_error(
            LABEL_VALUE_ERR,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errors
}

/// What is wrong with a DNS-1123 subdomain such as `example.com` (`IsDNS1123Subdomain`).
fn dns1123_subdomain_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        errors.push(max_len_error(DNS1123_SUBDOMAIN_MAX));
    }
    let labels_ok = value.split('.').all(|label| {
        let bytes = label.as_bytes();
        let inner = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
        let edge = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        bytes.first().is_some_and(edge) && bytes.last().is_some_and(edge) && bytes.iter().all(inner)
    });
    if !labels_ok {
        errors.push(regex_error(
            DNS1123_SUBDOMAIN_ERR,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errors
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: non-empty, alphanumeric at both ends, and only
/// alphanumerics, `-`, `_` and `.` in between (ASCII only, as Go's regexp classes are).
fn is_qualified_name_part(value: &str) -> bool {
    let bytes = value.as_bytes();
    let inner = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(inner)
}

fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

/// `validation.RegexError`, double spaces before "or" included: the real messages have them.
fn regex_error(message: &str, format: &str, examples: &[&str]) -> String {
    let mut out = format!("{message} (e.g. ");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{example}', "));
    }
    out.push_str(&format!("regex used for validation is '{format}')"));
    out
}

/// The value a field error complains about, printed as `field.Error` prints it.
#[derive(Clone, Copy)]
pub(crate) enum BadValue<'a> {
    /// A string: printed quoted, like Go's `%q`.
    Str(&'a str),
    /// A list of values: printed as Go's `%#v` prints a `[]string`, which is what Kubernetes
    /// 1.27 to 1.33 do (1.34 switched to JSON). Every empty list that reaches a message is a Go
    /// `nil` slice, hence `[]string(nil)`.
    List(&'a [String]),
}

/// One `field.Invalid` error as text: `<field>: Invalid value: <value>: <detail>`.
pub(crate) fn invalid(field: &str, value: BadValue<'_>, detail: &str) -> String {
    let value = match value {
        BadValue::Str(text) => go_quote(text),
        BadValue::List([]) => "[]string(nil)".to_owned(),
        BadValue::List(values) => {
            let quoted: Vec<String> = values.iter().map(|v| go_quote(v)).collect();
            format!("[]string{{{}}}", quoted.join(", "))
        }
    };
    format!("{field}: Invalid value: {value}: {detail}")
}

/// Joins several errors as Go's `utilerrors.Aggregate` does: one error alone, several as
/// `[a, b]`, each distinct message once. `None` when there is none.
pub(crate) fn aggregate(errors: Vec<String>) -> Option<String> {
    let mut distinct: Vec<String> = Vec::new();
    for error in errors {
        if !distinct.contains(&error) {
            distinct.push(error);
        }
    }
    match distinct.len() {
        0 => None,
        1 => distinct.pop(),
        _ => Some(format!("[{}]", distinct.join(", "))),
    }
}

/// Go's `%q` for the strings that can reach a message: quotes, backslashes and control
/// characters escaped, printable text (including non-ASCII) kept as it is.
pub(crate) fn go_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
