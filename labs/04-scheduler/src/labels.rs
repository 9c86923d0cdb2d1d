//! Label selectors (`metav1.LabelSelector`): how pod affinity terms and topology spread
//! constraints pick the pods they count.
//!
//! A selector is compiled once from its `matchLabels` and `matchExpressions` into a list of
//! requirements that must all hold. Two special cases follow the API's documentation: an empty
//! selector (`{}`) matches every pod, and an absent one (`null`) matches none.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use thiserror::Error;

/// Labels of an object: the map in `metadata.labels`.
pub type Labels = BTreeMap<String, String>;

/// A selector the API server would have refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectorError {
    /// The operator is not one of In, NotIn, Exists, DoesNotExist.
    #[error("unknown label selector operator {0:?}")]
    UnknownOperator(String),
    /// In and NotIn need values; Exists and DoesNotExist take none.
    #[error("operator {operator} on key {key:?}: {problem}")]
    BadValues {
        /// The requirement's operator.
        operator: String,
        /// The requirement's key.
        key: String,
        /// What is wrong with its values.
        problem: &'static str,
    },
}

/// One requirement on a label.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A compiled label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
    /// True for an absent selector, which matches nothing.
    nothing: bool,
}

impl Selector {
    /// The selector that matches every set of labels (`{}`).
    pub fn everything() -> Self {
        Selector {
            requirements: Vec::new(),
            nothing: false,
        }
    }

    /// The selector that matches nothing (an absent `labelSelector`).
    pub fn nothing() -> Self {
        Selector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// Compiles an optional `LabelSelector`: `None` matches nothing.
    pub fn from_optional(selector: Option<&LabelSelector>) -> Result<Self, SelectorError> {
        selector.map_or_else(|| Ok(Self::nothing()), Self::from_label_selector)
    }

    /// Compiles a `LabelSelector`: `matchLabels` become `In` requirements with one value.
    pub fn from_label_selector(selector: &LabelSelector) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            requirements.push(Requirement::In(key.clone(), vec![value.clone()]));
        }
        for expression in selector.match_expressions.iter().flatten() {
            let key = expression.key.clone();
            let values = expression.values.clone().unwrap_or_default();
            let bad = |problem| SelectorError::BadValues {
                operator: expression.operator.clone(),
                key: key.clone(),
                problem,
            };
            let requirement = match expression.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => return Err(bad("needs values")),
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    return Err(bad("takes no values"));
                }
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                other => return Err(SelectorError::UnknownOperator(other.to_string())),
            };
            requirements.push(requirement);
        }
        Ok(Selector {
            requirements,
            nothing: false,
        })
    }

    /// Adds `key in (value)`: how `matchLabelKeys` narrows a spread constraint's selector.
    pub fn require_equal(&mut self, key: &str, value: &str) {
        self.requirements
            .push(Requirement::In(key.to_string(), vec![value.to_string()]));
    }

    /// True if every requirement holds for these labels.
    pub fn matches(&self, labels: &Labels) -> bool {
        if self.nothing {
            return false;
        }
        self.requirements.iter().all(|r| match r {
            Requirement::In(key, values) => labels.get(key).is_some_and(|v| values.contains(v)),
            Requirement::NotIn(key, values) => labels.get(key).is_none_or(|v| !values.contains(v)),
            Requirement::Exists(key) => labels.contains_key(key),
            Requirement::DoesNotExist(key) => !labels.contains_key(key),
        })
    }
}

/// The labels of an object, or an empty map when it has none.
pub fn labels_of(labels: Option<&Labels>) -> &Labels {
    static EMPTY: Labels = BTreeMap::new();
    labels.unwrap_or(&EMPTY)
}
