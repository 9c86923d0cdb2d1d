//! Step 3: label and field selectors, the filters of list, watch and deletecollection.
//!
//! `kubectl get pods -l app=web --field-selector status.phase=Running` becomes
//! `GET /api/v1/namespaces/default/pods?labelSelector=app%3Dweb&fieldSelector=status.phase%3DRunning`.
//! The API server parses both selectors once per request, refuses bad ones with `400 Bad
//! Request` (the message is the real server's), and then keeps the objects that match both.
//! [`ListFilter`] is that whole job, and the REST layer's only entry point here:
//!
//! ```text
//! ListFilter::from_query(group, resource, labelSelector, fieldSelector)
//!   ├─ label::Selector::parse        lexer.rs → parser.rs → Requirement::new (validation.rs)
//!   └─ field::FieldSelector::parse   → transform(fields_by_kind::convert_field_label)
//! ListFilter::matches(object)
//!   ├─ labels from metadata.labels   → Selector::matches → Requirement::matches
//!   └─ fields_by_kind::selectable_fields(object) → FieldSelector::matches
//! ```
//!
//! Controllers (lab 03) and the scheduler (lab 04) use the structured form of label selectors,
//! `metav1.LabelSelector`, through [`Selector::from_label_selector`].
//!
//! Files: `label.rs` (requirements, matching, printing), `lexer.rs` and `parser.rs` (the string
//! syntax), `validation.rs` (label key and value rules), `label_selector.rs` (the structured
//! form), `field.rs` (field selectors), `fields_by_kind.rs` (which fields each resource offers),
//! `error.rs`.

mod error;
mod field;
mod fields_by_kind;
mod label;
mod label_selector;
mod lexer;
mod parser;
mod validation;

pub use error::SelectorError;
pub use field::{FieldOperator, FieldSelector, FieldTerm, Fields, escape_value, unescape_value};
pub use fields_by_kind::{convert_field_label, selectable_fields};
pub use label::{Labels, Operator, Requirement, Selector};

use std::fmt;

use serde_json::Value;

/// The selection of a list, watch or deletecollection request on one resource: a label
/// selector and a field selector, both already checked, that an object must both match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    group: String,
    resource: String,
    labels: Selector,
    fields: FieldSelector,
}

impl ListFilter {
    /// Parses the `labelSelector` and `fieldSelector` query parameters of a request on
    /// `group`/`resource` (`""` for the core group; `resource` is the plural, e.g. `pods`).
    /// A missing or empty parameter selects everything. The label selector is checked first,
    /// then the field selector's syntax, then its field names, as kube-apiserver does.
    pub fn from_query(
        group: &str,
        resource: &str,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
    ) -> Result<ListFilter, SelectorError> {
        let labels = Selector::parse(label_selector.unwrap_or_default())?;
        let fields = FieldSelector::parse(field_selector.unwrap_or_default())?
            .transform(|label| convert_field_label(group, resource, label))?;
        Ok(ListFilter {
            group: group.to_owned(),
            resource: resource.to_owned(),
            labels,
            fields,
        })
    }

    /// The filter of a request without selectors: every object of the resource.
    pub fn everything(group: &str, resource: &str) -> ListFilter {
        ListFilter {
            group: group.to_owned(),
            resource: resource.to_owned(),
            labels: Selector::everything(),
            fields: FieldSelector::everything(),
        }
    }

    /// Whether `object` (the stored JSON of one object of this resource) is selected: its
    /// `metadata.labels` match the label selector and its selectable fields match the field
    /// selector.
    pub fn matches(&self, object: &Value) -> bool {
        if self.is_everything() {
            return true;
        }
        let labels: Labels = object
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        if !self.labels.matches(&labels) {
            return false;
        }
        self.fields.is_everything()
            || self
                .fields
                .matches(&selectable_fields(&self.group, &self.resource, object))
    }

    /// Whether the filter keeps every object (no selector, or empty ones).
    pub fn is_everything(&self) -> bool {
        self.labels.is_everything() && self.fields.is_everything()
    }

    /// The label selector.
    pub fn label_selector(&self) -> &Selector {
        &self.labels
    }

    /// The field selector, with field names as the resource knows them (`spec.host` has
    /// become `spec.nodeName`).
    pub fn field_selector(&self) -> &FieldSelector {
        &self.fields
    }
}

/// `label selector "<labels>", field selector "<fields>"`, as kube-apiserver's messages say.
impl fmt::Display for ListFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "label selector {:?}, field selector {:?}",
            self.labels.to_string(),
            self.fields.to_string()
        )
    }
}
