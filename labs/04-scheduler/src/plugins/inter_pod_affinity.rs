//! InterPodAffinity: pods that want to be near (affinity) or away from (anti-affinity) other
//! pods, where "near" means "on a node with the same value of the topology key label" (the
//! same node for `kubernetes.io/hostname`, the same zone for `topology.kubernetes.io/zone`).
//!
//! Required terms are a filter, preferred ones a score. Both look at every pod in the cluster,
//! so `pre_filter` and `pre_score` count once per scheduling cycle, per topology domain, the
//! pods that matter; checking a node is then a few map lookups.

use std::collections::HashMap;

use super::MAX_NODE_SCORE;
use crate::framework::Rejection;
use crate::snapshot::{AffinityTerm, NodeInfo, PodInfo, Snapshot};

/// The plugin name.
pub const NAME: &str = "InterPodAffinity";
/// The incoming pod's required affinity is not met.
pub const ERR_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// The incoming pod's required anti-affinity is not met.
pub const ERR_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// A pod already running has required anti-affinity against the incoming pod.
pub const ERR_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";

/// Counts per topology domain: topology key -> label value -> count.
pub type TopologyCounts = HashMap<String, HashMap<String, i64>>;

fn bump(counts: &mut TopologyCounts, key: &str, value: &str, by: i64) {
    *counts
        .entry(key.to_string())
        .or_default()
        .entry(value.to_string())
        .or_default() += by;
}

fn count(counts: &TopologyCounts, key: &str, value: &str) -> i64 {
    counts
        .get(key)
        .and_then(|v| v.get(value))
        .copied()
        .unwrap_or(0)
}

/// What the filter needs, counted once per pod.
#[derive(Debug, Clone, Default)]
pub struct FilterState {
    /// Domains with existing pods whose required anti-affinity matches the incoming pod.
    pub existing_anti_affinity: TopologyCounts,
    /// Domains with existing pods that match all of the incoming pod's affinity terms.
    pub affinity: TopologyCounts,
    /// Domains with existing pods that match one of its anti-affinity terms.
    pub anti_affinity: TopologyCounts,
}

/// PreFilter: `None` when nothing can fail (the pod has no required terms and no running pod
/// has required anti-affinity).
pub fn pre_filter(snapshot: &Snapshot, pod: &PodInfo) -> Option<FilterState> {
    let own_terms = !pod.required_affinity.is_empty() || !pod.required_anti_affinity.is_empty();
    let mut state = FilterState::default();
    let mut anyone = own_terms;
    for node in snapshot.nodes() {
        let labels = node.labels();
        if node.pods_with_required_anti_affinity > 0 {
            anyone = true;
            for existing in node
                .pods
                .iter()
                .filter(|p| !p.required_anti_affinity.is_empty())
            {
                for term in &existing.required_anti_affinity {
                    if let Some(value) = labels.get(&term.topology_key)
                        && term.matches(&pod.namespace, pod.labels())
                    {
                        bump(
                            &mut state.existing_anti_affinity,
                            &term.topology_key,
                            value,
                            1,
                        );
                    }
                }
            }
        }
        if !own_terms {
            continue;
        }
        for existing in &node.pods {
            if matches_all(&pod.required_affinity, existing) {
                for term in &pod.required_affinity {
                    if let Some(value) = labels.get(&term.topology_key) {
                        bump(&mut state.affinity, &term.topology_key, value, 1);
                    }
                }
            }
            for term in &pod.required_anti_affinity {
                if let Some(value) = labels.get(&term.topology_key)
                    && term.matches(&existing.namespace, existing.labels())
                {
                    bump(&mut state.anti_affinity, &term.topology_key, value, 1);
                }
            }
        }
    }
    anyone.then_some(state)
}

/// True if `pod` matches every term (and there is at least one).
fn matches_all(terms: &[AffinityTerm], pod: &PodInfo) -> bool {
    !terms.is_empty()
        && terms
            .iter()
            .all(|t| t.matches(&pod.namespace, pod.labels()))
}

/// The filter: the incoming pod's affinity, then its anti-affinity, then the running pods'
/// anti-affinity against it.
pub fn filter(state: &FilterState, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    // BEGIN SOLUTION step-2: affinity needs a matching pod in the node's domain of every term (or be the first of its group), anti-affinity none
    let labels = node.labels();
    // Affinity: every term's domain on this node must already hold a matching pod...
    let mut pods_exist = true;
    for term in &pod.required_affinity {
        let Some(value) = labels.get(&term.topology_key) else {
            return Err(Rejection::unresolvable(NAME, ERR_AFFINITY));
        };
        if count(&state.affinity, &term.topology_key, value) <= 0 {
            pods_exist = false;
        }
    }
    // ...unless no pod anywhere matches and the pod matches its own terms: it is the first of
    // a group that wants to be together.
    let first_of_group = state.affinity.is_empty() && matches_all(&pod.required_affinity, pod);
    if !pods_exist && !first_of_group {
        return Err(Rejection::unresolvable(NAME, ERR_AFFINITY));
    }
    for term in &pod.required_anti_affinity {
        if let Some(value) = labels.get(&term.topology_key)
            && count(&state.anti_affinity, &term.topology_key, value) > 0
        {
            return Err(Rejection::unschedulable(NAME, ERR_ANTI_AFFINITY));
        }
    }
    for (key, value) in labels {
        if count(&state.existing_anti_affinity, key, value) > 0 {
            return Err(Rejection::unschedulable(NAME, ERR_EXISTING_ANTI_AFFINITY));
        }
    }
    Ok(())
    // END SOLUTION
}

/// What the score needs: topology key -> label value -> summed weights.
#[derive(Debug, Clone, Default)]
pub struct ScoreState {
    /// The summed weights per domain.
    pub topology_score: TopologyCounts,
}

/// How much an existing pod's *required* affinity to the incoming pod counts in the score
/// (`hardPodAffinityWeight`, default 1).
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// PreScore: `None` (skip) when the pod has no preferred terms and no running pod has any
/// affinity. Otherwise, for every running pod: the incoming pod's preferred terms that match it
/// (+weight, anti -weight), and its own terms that match the incoming pod (preferred +/-weight,
/// required affinity +`HARD_POD_AFFINITY_WEIGHT`), added to its node's domain.
pub fn pre_score(snapshot: &Snapshot, pod: &PodInfo) -> Option<ScoreState> {
    let own = !pod.preferred_affinity.is_empty() || !pod.preferred_anti_affinity.is_empty();
    if !own && snapshot.nodes().iter().all(|n| n.pods_with_affinity == 0) {
        return None;
    }
    let mut scores = TopologyCounts::new();
    for node in snapshot.nodes() {
        let labels = node.labels();
        if labels.is_empty() || (!own && node.pods_with_affinity == 0) {
            continue;
        }
        let mut add = |term: &AffinityTerm, weight: i64, namespace: &str, target: &PodInfo| {
            if let Some(value) = labels.get(&term.topology_key)
                && term.matches(namespace, target.labels())
            {
                bump(&mut scores, &term.topology_key, value, weight);
            }
        };
        for existing in &node.pods {
            for w in &pod.preferred_affinity {
                add(&w.term, w.weight, &existing.namespace, existing);
            }
            for w in &pod.preferred_anti_affinity {
                add(&w.term, -w.weight, &existing.namespace, existing);
            }
            for term in &existing.required_affinity {
                add(term, HARD_POD_AFFINITY_WEIGHT, &pod.namespace, pod);
            }
            for w in &existing.preferred_affinity {
                add(&w.term, w.weight, &pod.namespace, pod);
            }
            for w in &existing.preferred_anti_affinity {
                add(&w.term, -w.weight, &pod.namespace, pod);
            }
        }
    }
    Some(ScoreState {
        topology_score: scores,
    })
}

/// The score before normalising: the sum over the node's labels of its domains' weights.
pub fn score(state: &ScoreState, node: &NodeInfo) -> i64 {
    let labels = node.labels();
    state
        .topology_score
        .iter()
        .filter_map(|(key, values)| values.get(labels.get(key)?))
        .sum()
}

/// Normalising maps the lowest raw score to 0 and the highest to 100 (raw scores can be
/// negative).
pub fn normalize(scores: &mut [i64]) {
    let (Some(&min), Some(&max)) = (scores.iter().min(), scores.iter().max()) else {
        return;
    };
    let spread = max - min;
    for score in scores.iter_mut() {
        *score = if spread > 0 {
            (MAX_NODE_SCORE as f64 * ((*score - min) as f64 / spread as f64)) as i64
        } else {
            0
        };
    }
}
