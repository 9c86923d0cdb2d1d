//! PodTopologySpread's filter: the `DoNotSchedule` constraints.

use std::collections::HashMap;

use super::NAME;
use super::counts::{CountsCache, DomainCounts, count_domains, count_domains_cached};
use crate::framework::Rejection;
use crate::snapshot::{NodeInfo, PodInfo, Snapshot, SpreadConstraint};

/// The skew would exceed maxSkew.
pub const ERR_CONSTRAINTS: &str = "node(s) didn't match pod topology spread constraints";
/// The node lacks a constraint's topology key.
pub const ERR_MISSING_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// What the filter needs, counted once per pod.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterState {
    /// The pod's `DoNotSchedule` constraints.
    pub constraints: Vec<SpreadConstraint>,
    /// Per constraint: label value (domain) -> matching pods there.
    pub counts: Vec<HashMap<String, i64>>,
    /// Per constraint: the smallest count over its domains (the global minimum).
    pub min_counts: Vec<i64>,
}

/// PreFilter: `None` when the pod has no `DoNotSchedule` constraint. Counts matching pods per
/// domain over the nodes that have every key and that the inclusion policies admit.
pub fn pre_filter(snapshot: &Snapshot, pod: &PodInfo) -> Option<FilterState> {
    let constraints = hard_constraints(pod)?;
    let counts = count_domains(snapshot, pod, &constraints, true);
    Some(filter_state(constraints, counts))
}

/// [`pre_filter`] with the counts carried between cycles in `cache`.
pub fn pre_filter_cached(
    snapshot: &Snapshot,
    pod: &PodInfo,
    cache: &mut CountsCache,
) -> Option<FilterState> {
    let constraints = hard_constraints(pod)?;
    let counts = count_domains_cached(snapshot, pod, &constraints, true, cache);
    Some(filter_state(constraints, counts))
}

fn hard_constraints(pod: &PodInfo) -> Option<Vec<SpreadConstraint>> {
    let constraints: Vec<SpreadConstraint> = pod
        .spread_constraints
        .iter()
        .filter(|c| c.hard)
        .cloned()
        .collect();
    (!constraints.is_empty()).then_some(constraints)
}

fn filter_state(constraints: Vec<SpreadConstraint>, counts: DomainCounts) -> FilterState {
    let min_counts = min_counts(&constraints, &counts);
    FilterState {
        constraints,
        counts,
        min_counts,
    }
}

/// The global minimum of each constraint.
fn min_counts(constraints: &[SpreadConstraint], counts: &[HashMap<String, i64>]) -> Vec<i64> {
    constraints
        .iter()
        .zip(counts)
        .map(|(c, domains)| {
            // minDomains: with fewer domains than that, the global minimum is taken as 0.
            if (domains.len() as i64) < c.min_domains {
                0
            } else {
                // No eligible domain at all: MaxInt32 upstream, so nothing can exceed maxSkew.
                domains
                    .values()
                    .copied()
                    .min()
                    .unwrap_or(i64::from(i32::MAX))
            }
        })
        .collect()
}

/// The filter: for each constraint, `count in this node's domain + self match - global
/// minimum <= maxSkew`.
pub fn filter(state: &FilterState, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    // BEGIN SOLUTION step-2: missing key is unresolvable; skew = domain count + self - global min
    let labels = node.labels();
    for (i, c) in state.constraints.iter().enumerate() {
        let Some(value) = labels.get(&c.topology_key) else {
            return Err(Rejection::unresolvable(NAME, ERR_MISSING_LABEL));
        };
        let self_match = i64::from(c.selector.matches(pod.labels()));
        let here = state.counts[i].get(value).copied().unwrap_or(0);
        let skew = here + self_match - state.min_counts[i];
        if skew > c.max_skew {
            return Err(Rejection::unschedulable(NAME, ERR_CONSTRAINTS));
        }
    }
    Ok(())
    // END SOLUTION
}
