//! `Cause`: one field's problem, in the shape of the real `field.Error` and `StatusCause`.
//!
//! The real server keeps a field error as a type, a field path, the bad value and a detail, and
//! renders its message as `<Type words>[: <value>][: <detail>]` (apimachinery
//! `field.Error.ErrorBody`). Required, Forbidden and TooLong never show the value; strings are
//! shown quoted, numbers bare, and anything else (maps, selectors, lists) as compact JSON
//! (`{"app":"web"}`), which [`Bad::Go`] carries ready-made.

use std::fmt;

/// The machine-readable reason of a cause: `details.causes[].reason` of the `Status`
/// (`metav1.CauseType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CauseType {
    /// A required field is missing or empty (`Required value`).
    FieldValueRequired,
    /// A value is malformed or out of range (`Invalid value`).
    FieldValueInvalid,
    /// A value is not one of a fixed set (`Unsupported value`).
    FieldValueNotSupported,
    /// A value repeats one that must be unique (`Duplicate value`).
    FieldValueDuplicate,
    /// A value is longer than allowed (`Too long`).
    FieldValueTooLong,
    /// A list has more items than allowed (`Too many`).
    FieldValueTooMany,
    /// A value is valid but not allowed here (`Forbidden`).
    FieldValueForbidden,
    /// A value has the wrong JSON type (`Invalid value`).
    FieldValueTypeInvalid,
    /// A value refers to something that does not exist, e.g. a volumeMount naming no volume
    /// (`Not found`).
    FieldValueNotFound,
}

impl CauseType {
    /// The reason as it appears on the wire (`"FieldValueRequired"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FieldValueRequired => "FieldValueRequired",
            Self::FieldValueInvalid => "FieldValueInvalid",
            Self::FieldValueNotSupported => "FieldValueNotSupported",
            Self::FieldValueDuplicate => "FieldValueDuplicate",
            Self::FieldValueTooLong => "FieldValueTooLong",
            Self::FieldValueTooMany => "FieldValueTooMany",
            Self::FieldValueForbidden => "FieldValueForbidden",
            Self::FieldValueTypeInvalid => "FieldValueTypeInvalid",
            Self::FieldValueNotFound => "FieldValueNotFound",
        }
    }

    /// The words that open the message (`field.ErrorType.String`).
    fn words(self) -> &'static str {
        match self {
            Self::FieldValueRequired => "Required value",
            Self::FieldValueInvalid | Self::FieldValueTypeInvalid => "Invalid value",
            Self::FieldValueNotSupported => "Unsupported value",
            Self::FieldValueDuplicate => "Duplicate value",
            Self::FieldValueTooLong => "Too long",
            Self::FieldValueTooMany => "Too many",
            Self::FieldValueForbidden => "Forbidden",
            Self::FieldValueNotFound => "Not found",
        }
    }
}

/// One problem with one field: an entry of the `Status`'s `details.causes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Why the field is wrong.
    pub reason: CauseType,
    /// The field's path, e.g. `spec.template.spec.containers[0].image` or `metadata.labels`.
    pub field: String,
    /// What is wrong, without the field: `Invalid value: -1: must be greater than or equal to 0`.
    pub message: String,
}

impl Cause {
    /// The cause as an entry of a `Status`'s `details.causes`:
    /// `{"reason": "FieldValueInvalid", "message": "...", "field": "spec.replicas"}`.
    pub fn to_status_cause(&self) -> serde_json::Value {
        serde_json::json!({
            "reason": self.reason.as_str(),
            "message": self.message,
            "field": self.field,
        })
    }
}

/// `field: message`, the form the aggregate `Status` message lists.
impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The offending value of a cause, as the real message shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bad {
    /// A string, shown quoted: `"Web"`.
    Str(String),
    /// A number, shown bare: `-1`.
    Int(i64),
    /// Anything else, already rendered as the real server renders it (compact JSON for maps,
    /// selectors and lists: `{"app":"web"}`).
    Go(String),
}

impl Bad {
    /// A string value.
    pub(crate) fn str(value: &str) -> Self {
        Self::Str(value.to_string())
    }

    fn render(&self) -> String {
        match self {
            // Go's %q; serde_json's escaping agrees for everything a manifest usually holds.
            Self::Str(s) => serde_json::Value::String(s.clone()).to_string(),
            Self::Int(n) => n.to_string(),
            Self::Go(s) => s.clone(),
        }
    }
}

/// The message of a cause: the type's words, the value unless the type hides it, the detail.
fn body(reason: CauseType, value: Option<Bad>, detail: &str) -> String {
    let mut s = reason.words().to_string();
    let hides_value = matches!(
        reason,
        CauseType::FieldValueRequired
            | CauseType::FieldValueForbidden
            | CauseType::FieldValueTooLong
    );
    if let (false, Some(value)) = (hides_value, value) {
        s.push_str(": ");
        s.push_str(&value.render());
    }
    if !detail.is_empty() {
        s.push_str(": ");
        s.push_str(detail);
    }
    s
}

/// The causes found so far; one constructor per real `field.*` helper.
#[derive(Debug, Default)]
pub(crate) struct Causes(Vec<Cause>);

impl Causes {
    /// The causes, in the order they were found.
    pub(crate) fn into_vec(self) -> Vec<Cause> {
        self.0
    }

    fn push(&mut self, reason: CauseType, field: String, value: Option<Bad>, detail: &str) {
        let message = body(reason, value, detail);
        self.0.push(Cause {
            reason,
            field,
            message,
        });
    }

    /// `field.Required`: `Required value[: detail]`.
    pub(crate) fn required(&mut self, field: String, detail: &str) {
        self.push(CauseType::FieldValueRequired, field, None, detail);
    }

    /// `field.Invalid`: `Invalid value: <value>: detail`.
    pub(crate) fn invalid(&mut self, field: String, value: Bad, detail: &str) {
        self.push(CauseType::FieldValueInvalid, field, Some(value), detail);
    }

    /// `field.NotSupported`: `Unsupported value: <value>: supported values: "a", "b"`.
    pub(crate) fn not_supported(&mut self, field: String, value: Bad, supported: &[&str]) {
        let quoted: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        let detail = if quoted.is_empty() {
            String::new()
        } else {
            format!("supported values: {}", quoted.join(", "))
        };
        self.push(
            CauseType::FieldValueNotSupported,
            field,
            Some(value),
            &detail,
        );
    }

    /// `field.Duplicate`: `Duplicate value: <value>`.
    pub(crate) fn duplicate(&mut self, field: String, value: Bad) {
        self.push(CauseType::FieldValueDuplicate, field, Some(value), "");
    }

    /// `field.NotFound`: `Not found: <value>`.
    pub(crate) fn not_found(&mut self, field: String, value: Bad) {
        self.push(CauseType::FieldValueNotFound, field, Some(value), "");
    }

    /// `field.Forbidden`: `Forbidden: detail`.
    pub(crate) fn forbidden(&mut self, field: String, detail: &str) {
        self.push(CauseType::FieldValueForbidden, field, None, detail);
    }

    /// `field.TooLong`: `Too long: must have at most <max> bytes`.
    pub(crate) fn too_long(&mut self, field: String, max: usize) {
        let detail = format!("must have at most {max} bytes");
        self.push(CauseType::FieldValueTooLong, field, None, &detail);
    }

    /// One `Invalid` cause per message of a name check ([`super::names`]).
    pub(crate) fn invalid_each(&mut self, field: &str, value: &str, messages: Vec<String>) {
        for message in messages {
            self.invalid(field.to_string(), Bad::str(value), &message);
        }
    }

    /// `ValidateNonnegativeField`: a number below 0.
    pub(crate) fn nonnegative(&mut self, field: String, value: Option<&serde_json::Value>) {
        if let Some(n) = value.and_then(serde_json::Value::as_i64)
            && n < 0
        {
            self.invalid(field, Bad::Int(n), "must be greater than or equal to 0");
        }
    }
}
