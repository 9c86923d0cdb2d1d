//! From a `metav1.LabelSelector` (the `selector` of a Deployment, ReplicaSet, Job, Service...
//! in its structured form) to a [`Selector`] (`metav1.LabelSelectorAsSelector`).
//!
//! ```yaml
//! selector:
//!   matchLabels: {app: web}              # each entry: key=value
//!   matchExpressions:
//!   - {key: tier, operator: In, values: [frontend, cache]}
//!   - {key: canary, operator: DoesNotExist}
//! ```
//!
//! becomes `app=web,!canary,tier in (cache,frontend)` (requirements sorted by key). The structured form has only four operators (`In`, `NotIn`, `Exists`,
//! `DoesNotExist`); `In` and `NotIn` need values, the other two must have none.
//!
//! The one rule to remember: a **missing** (`null`) selector matches **nothing**, an **empty**
//! one (`{}`) matches **everything**. The controllers (lab 03) and the scheduler's affinity
//! terms (lab 04) rely on it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::error::SelectorError;
use super::label::{Operator, Requirement, Selector};
use super::validation;

impl Selector {
    // ANCHOR: from_label_selector
    /// Converts a structured selector. `None` is the selector that matches nothing; one with
    /// neither `matchLabels` nor `matchExpressions` matches everything. Errors carry the real
    /// server's text, e.g. `"Foo" is not a valid label selector operator`.
    pub fn from_label_selector(
        selector: Option<&LabelSelector>,
    ) -> Result<Selector, SelectorError> {
        // BEGIN SOLUTION step-3: None -> Nothing; no matchLabels and no matchExpressions -> everything; otherwise one Equals requirement per matchLabels entry, then one per expression (In, NotIn, Exists, DoesNotExist; any other operator is an error), built with Requirement::new
        let Some(selector) = selector else {
            return Ok(Selector::Nothing);
        };
        let match_labels = selector.match_labels.as_ref();
        let expressions = selector.match_expressions.as_deref().unwrap_or_default();
        if match_labels.is_none_or(|labels| labels.is_empty()) && expressions.is_empty() {
            return Ok(Selector::everything());
        }
        let mut requirements = Vec::new();
        for (key, value) in match_labels.into_iter().flatten() {
            requirements.push(Requirement::new(
                key.as_str(),
                Operator::Equals,
                vec![value.clone()],
            )?);
        }
        for expression in expressions {
            let operator = match expression.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(SelectorError::Label {
                        message: format!(
                            "{} is not a valid label selector operator",
                            validation::go_quote(other)
                        ),
                    });
                }
            };
            let values = expression.values.clone().unwrap_or_default();
            requirements.push(Requirement::new(expression.key.as_str(), operator, values)?);
        }
        Ok(Selector::from_requirements(requirements))
        // END SOLUTION
    }
    // ANCHOR_END: from_label_selector
}
