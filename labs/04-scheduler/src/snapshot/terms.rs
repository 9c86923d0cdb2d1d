//! Compiling a pod's affinity terms and topology spread constraints: selectors parsed once,
//! namespaces and defaults resolved, so the plugins only match.

use k8s_openapi::api::core::v1::{Pod, PodAffinityTerm, WeightedPodAffinityTerm};

use super::pod_info::{AffinityTerm, Namespaces, PodError, SpreadConstraint, WeightedTerm};
use crate::labels::{Selector, labels_of};

fn compile_term(
    term: &PodAffinityTerm,
    namespace: &str,
    field: &str,
) -> Result<AffinityTerm, PodError> {
    let selector = Selector::from_optional(term.label_selector.as_ref()).map_err(|source| {
        PodError::Selector {
            field: format!("{field}.labelSelector"),
            source,
        }
    })?;
    let listed = term.namespaces.clone().unwrap_or_default();
    let namespaces = match &term.namespace_selector {
        // `{}` selects every namespace. A non-empty namespace selector would need Namespace
        // objects, which the snapshot does not keep: such a term sees only its listed names.
        Some(ns)
            if ns.match_labels.as_ref().is_none_or(|m| m.is_empty())
                && ns.match_expressions.as_ref().is_none_or(|e| e.is_empty()) =>
        {
            Namespaces::All
        }
        Some(_) => Namespaces::List(listed),
        None if listed.is_empty() => Namespaces::List(vec![namespace.to_string()]),
        None => Namespaces::List(listed),
    };
    Ok(AffinityTerm {
        namespaces,
        selector,
        topology_key: term.topology_key.clone(),
    })
}

pub(super) fn terms(
    list: Option<&Vec<PodAffinityTerm>>,
    namespace: &str,
    field: &str,
) -> Result<Vec<AffinityTerm>, PodError> {
    list.into_iter()
        .flatten()
        .enumerate()
        .map(|(i, t)| compile_term(t, namespace, &format!("{field}[{i}]")))
        .collect()
}

pub(super) fn weighted_terms(
    list: Option<&Vec<WeightedPodAffinityTerm>>,
    namespace: &str,
    field: &str,
) -> Result<Vec<WeightedTerm>, PodError> {
    list.into_iter()
        .flatten()
        .enumerate()
        .map(|(i, w)| {
            Ok(WeightedTerm {
                term: compile_term(
                    &w.pod_affinity_term,
                    namespace,
                    &format!("{field}[{i}].podAffinityTerm"),
                )?,
                weight: i64::from(w.weight),
            })
        })
        .collect()
}

pub(super) fn spread_constraints(pod: &Pod) -> Result<Vec<SpreadConstraint>, PodError> {
    let labels = labels_of(pod.metadata.labels.as_ref());
    let list = pod
        .spec
        .as_ref()
        .and_then(|s| s.topology_spread_constraints.as_ref());
    let mut out = Vec::new();
    for (i, c) in list.into_iter().flatten().enumerate() {
        let field = format!("spec.topologySpreadConstraints[{i}]");
        let invalid = |problem: &str| PodError::Invalid {
            field: field.clone(),
            problem: problem.to_string(),
        };
        let hard = match c.when_unsatisfiable.as_str() {
            "DoNotSchedule" => true,
            "ScheduleAnyway" => false,
            _ => {
                return Err(invalid(
                    "whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway",
                ));
            }
        };
        if c.max_skew < 1 {
            return Err(invalid("maxSkew must be at least 1"));
        }
        let mut selector =
            Selector::from_optional(c.label_selector.as_ref()).map_err(|source| {
                PodError::Selector {
                    field: format!("{field}.labelSelector"),
                    source,
                }
            })?;
        // matchLabelKeys: "the pods with the same values for these keys as this pod".
        for key in c.match_label_keys.iter().flatten() {
            if let Some(value) = labels.get(key) {
                selector.require_equal(key, value);
            }
        }
        out.push(SpreadConstraint {
            max_skew: i64::from(c.max_skew),
            topology_key: c.topology_key.clone(),
            hard,
            selector,
            min_domains: i64::from(c.min_domains.unwrap_or(1)),
            honor_node_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
            honor_node_taints: c.node_taints_policy.as_deref() == Some("Honor"),
        });
    }
    Ok(out)
}
