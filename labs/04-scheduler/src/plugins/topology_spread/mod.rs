//! PodTopologySpread: spread matching pods evenly over topology domains (nodes, zones, ...).
//!
//! A constraint counts, per domain (each value of its `topologyKey` label), the pods that
//! match its selector in the pod's namespace. The *skew* of placing the pod in a domain is that
//! domain's count plus one (if the pod matches its own selector) minus the smallest count of
//! any domain. `DoNotSchedule` constraints filter out nodes where the skew would exceed
//! `maxSkew`; `ScheduleAnyway` constraints (and the system defaults) score nodes in emptier
//! domains higher.

mod counts;
mod filter;
mod score;

pub use counts::{CountsCache, DomainCounts, count_domains, count_domains_cached};
pub use filter::{
    ERR_CONSTRAINTS, ERR_MISSING_LABEL, FilterState, filter, pre_filter, pre_filter_cached,
};
pub use score::{
    ScoreState, default_constraints, normalize, pre_score, pre_score_cached, score, score_for_count,
};

use crate::snapshot::{NodeInfo, PodInfo, SpreadConstraint};

use super::{node_affinity, taint_toleration};

/// The plugin name.
pub const NAME: &str = "PodTopologySpread";

/// Pods on the node that the constraint counts: same namespace as the incoming pod, selector
/// matches, not being deleted (`countPodsMatchSelector`).
pub fn count_matching(node: &NodeInfo, constraint: &SpreadConstraint, namespace: &str) -> i64 {
    node.pods
        .iter()
        .filter(|p| counts(p, constraint, namespace))
        .count() as i64
}

/// True if the constraint counts this pod (see [`count_matching`]).
pub fn counts(pod: &PodInfo, constraint: &SpreadConstraint, namespace: &str) -> bool {
    !pod.terminating() && pod.namespace == namespace && constraint.selector.matches(pod.labels())
}

/// `matchNodeInclusionPolicies`: with `nodeAffinityPolicy: Honor` (the default) a node the pod
/// could never go to does not count as a domain; with `nodeTaintsPolicy: Honor` neither does a
/// node whose taints it does not tolerate.
pub fn node_included(constraint: &SpreadConstraint, pod: &PodInfo, node: &NodeInfo) -> bool {
    if constraint.honor_node_affinity && !node_affinity::required_matches(&pod.pod, node) {
        return false;
    }
    if constraint.honor_node_taints && taint_toleration::untolerated_taint(pod, node).is_some() {
        return false;
    }
    true
}

/// True if the node has every constraint's topology key.
pub fn has_all_keys(node: &NodeInfo, constraints: &[SpreadConstraint]) -> bool {
    let labels = node.labels();
    constraints
        .iter()
        .all(|c| labels.contains_key(&c.topology_key))
}
