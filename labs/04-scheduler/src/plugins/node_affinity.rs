//! NodeAffinity: `spec.nodeSelector` and `spec.affinity.nodeAffinity`. The required part is a
//! filter, the preferred part a score.
//!
//! A required node affinity is a list of `nodeSelectorTerms`, ORed; each term is a list of
//! requirements on node labels (`matchExpressions`) or fields (`matchFields`, only
//! `metadata.name`), ANDed. A term with no requirements matches no node.

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm, Pod};

use crate::framework::Rejection;
use crate::labels::Labels;
use crate::snapshot::{NodeInfo, PodInfo};

/// The filter's reason.
pub const ERR_NODE_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";

// ANCHOR: requirement_matches
/// One `matchExpressions` requirement against a node's labels. `Gt` and `Lt` compare integers
/// and need exactly one value; anything unreadable does not match.
pub fn requirement_matches(requirement: &NodeSelectorRequirement, labels: &Labels) -> bool {
    // BEGIN SOLUTION step-2: In, NotIn, Exists, DoesNotExist, Gt, Lt
    let values = requirement.values.as_deref().unwrap_or(&[]);
    let label = labels.get(&requirement.key);
    match requirement.operator.as_str() {
        "In" => label.is_some_and(|v| values.contains(v)),
        "NotIn" => label.is_none_or(|v| !values.contains(v)),
        "Exists" => label.is_some(),
        "DoesNotExist" => label.is_none(),
        "Gt" | "Lt" => {
            let [bound] = values else { return false };
            let (Some(Ok(have)), Ok(bound)) =
                (label.map(|v| v.parse::<i64>()), bound.parse::<i64>())
            else {
                return false;
            };
            if requirement.operator == "Gt" {
                have > bound
            } else {
                have < bound
            }
        }
        _ => false,
    }
    // END SOLUTION
}
// ANCHOR_END: requirement_matches

/// One `matchFields` requirement: only `metadata.name` with In or NotIn exists.
fn field_matches(requirement: &NodeSelectorRequirement, node_name: &str) -> bool {
    if requirement.key != "metadata.name" {
        return false;
    }
    let values = requirement.values.as_deref().unwrap_or(&[]);
    let named = values.iter().any(|v| v == node_name);
    match requirement.operator.as_str() {
        "In" => named,
        "NotIn" => !named,
        _ => false,
    }
}

/// A `nodeSelectorTerm`: all its requirements hold; an empty term matches nothing.
pub fn term_matches(term: &NodeSelectorTerm, node: &NodeInfo) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    let labels = node.labels();
    expressions.iter().all(|r| requirement_matches(r, labels))
        && fields.iter().all(|r| field_matches(r, &node.name))
}

/// The pod's hard node constraints: every `nodeSelector` label, and one of the required
/// affinity's terms.
pub fn required_matches(pod: &Pod, node: &NodeInfo) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return true;
    };
    let labels = node.labels();
    let selector_ok = spec
        .node_selector
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    if !selector_ok {
        return false;
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    required.is_none_or(|r| r.node_selector_terms.iter().any(|t| term_matches(t, node)))
}

/// The filter.
pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    if required_matches(&pod.pod, node) {
        Ok(())
    } else {
        Err(Rejection::unresolvable("NodeAffinity", ERR_NODE_AFFINITY))
    }
}

/// True if the pod has preferred node affinity terms (otherwise the score is skipped).
pub fn has_preferred(pod: &PodInfo) -> bool {
    preferred(pod.pod.as_ref()).next().is_some()
}

fn preferred(
    pod: &Pod,
) -> impl Iterator<Item = &k8s_openapi::api::core::v1::PreferredSchedulingTerm> {
    pod.spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .into_iter()
        .flatten()
}

/// The score before normalising: the sum of the weights of the preferred terms the node
/// matches. Normalised so the best node gets 100.
pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    preferred(&pod.pod)
        .filter(|p| term_matches(&p.preference, node))
        .map(|p| i64::from(p.weight))
        .sum()
}
