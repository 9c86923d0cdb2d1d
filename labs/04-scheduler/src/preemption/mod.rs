//! Priority and preemption: DefaultPreemption's PostFilter.
//!
//! When a pod fits nowhere, the scheduler asks: on which node would removing some pods of
//! *lower* priority make room? For each node where that can help it finds the smallest set of
//! victims (remove every lower-priority pod, then give back as many as still leave room, the
//! most important first), picks one node by upstream's criteria, and returns the victims and
//! the node to nominate. The loop then deletes the victims and sets the pod's
//! `status.nominatedNodeName`; the pod is scheduled again once they are gone.
//!
//! PodDisruptionBudgets are not modelled: every candidate violates none, so the first
//! criterion never decides. Upstream also stops after enough candidates on big clusters
//! (10% of the nodes, at least 100); every node that might help is evaluated here.

mod priority;

use std::cmp::Reverse;
use std::fmt;
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;

pub use priority::{
    PriorityClasses, PriorityError, SYSTEM_CLUSTER_CRITICAL, SYSTEM_NODE_CRITICAL, admit,
    resolve_priority,
};

use crate::framework::{CycleState, FitError, Profile, Rejection, run_filters};
use crate::queue::pod_priority;
use crate::snapshot::{PodInfo, Snapshot};

/// The reason of a node where preemption cannot help (its rejection was unresolvable).
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// The reason of a node with no pod of lower priority.
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";
/// Why a pod with `preemptionPolicy: Never` does not preempt.
pub const POLICY_NEVER: &str = "not eligible due to preemptionPolicy=Never.";

/// A node where preemption makes room, with the pods that would have to go.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The node.
    pub node: String,
    /// The victims, most important first.
    pub victims: Vec<Arc<PodInfo>>,
    /// How many PodDisruptionBudgets evicting them would violate (always 0 here).
    pub num_pdb_violations: usize,
}

/// Which of upstream's criteria chose the node (`pickOneNodeForPreemption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// There was a single candidate.
    OnlyCandidate,
    /// The fewest PodDisruptionBudget violations.
    FewestPdbViolations,
    /// The lowest priority of its most important victim.
    LowestHighestPriority,
    /// The smallest sum of the victims' priorities.
    SmallestPrioritySum,
    /// The fewest victims.
    FewestVictims,
    /// Its most important victims started the latest (they lose the least work).
    LatestStartTime,
    /// All equal: the first in node order.
    FirstCandidate,
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Criterion::OnlyCandidate => "the only candidate",
            Criterion::FewestPdbViolations => "fewest PodDisruptionBudget violations",
            Criterion::LowestHighestPriority => "lowest priority of its most important victim",
            Criterion::SmallestPrioritySum => "smallest sum of victim priorities",
            Criterion::FewestVictims => "fewest victims",
            Criterion::LatestStartTime => "latest start time of its most important victims",
            Criterion::FirstCandidate => "all equal, the first candidate",
        })
    }
}

/// Preemption found a node.
#[derive(Debug, Clone)]
pub struct Preemption {
    /// The node to nominate (`status.nominatedNodeName`).
    pub nominated_node_name: String,
    /// `namespace/name` of the pods to delete, most important first.
    pub victims: Vec<String>,
    /// Every candidate, in node order.
    pub candidates: Vec<Candidate>,
    /// Why this node.
    pub chosen_by: Criterion,
}

/// Preemption cannot help: the PostFilter message, with each node's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPreemption {
    /// "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    /// (what goes into [`FitError::post_filter_message`]).
    pub message: String,
}

/// DefaultPreemption's PostFilter for a pod that failed with `fit`.
pub fn preempt(
    snapshot: &Snapshot,
    pod: &PodInfo,
    profile: &Profile,
    fit: &FitError,
) -> Result<Preemption, NoPreemption> {
    let policy = pod
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.preemption_policy.as_deref());
    if policy == Some("Never") {
        return Err(NoPreemption {
            message: format!("preemption: {POLICY_NEVER}"),
        });
    }
    let mut candidates = Vec::new();
    let mut statuses = Vec::new();
    for (node, rejection) in &fit.rejected {
        if rejection.unresolvable {
            statuses.push((
                node.clone(),
                Rejection::unresolvable("DefaultPreemption", NOT_HELPFUL),
            ));
            continue;
        }
        match select_victims_on_node(snapshot, pod, profile, node) {
            Ok(victims) => candidates.push(Candidate {
                node: node.clone(),
                victims,
                num_pdb_violations: 0,
            }),
            Err(reasons) => statuses.push((
                node.clone(),
                Rejection {
                    plugin: "DefaultPreemption",
                    unresolvable: true,
                    reasons,
                },
            )),
        }
    }
    let Some((best, chosen_by)) = pick_one_node_for_preemption(&candidates) else {
        let nested = FitError::new(pod.key.clone(), fit.num_all_nodes, statuses);
        return Err(NoPreemption {
            message: format!("preemption: {nested}"),
        });
    };
    let chosen = &candidates[best];
    Ok(Preemption {
        nominated_node_name: chosen.node.clone(),
        victims: chosen.victims.iter().map(|v| v.key.clone()).collect(),
        chosen_by,
        candidates: candidates.clone(),
    })
}

/// True if `pod` passes every filter on `node` of `snapshot`.
fn fits(
    snapshot: &Snapshot,
    pod: &PodInfo,
    profile: &Profile,
    node: &str,
) -> Result<(), Rejection> {
    let Some(info) = snapshot.node(node) else {
        return Err(Rejection::unresolvable("DefaultPreemption", NOT_HELPFUL));
    };
    let cycle = CycleState::pre_filter(snapshot, pod, profile);
    run_filters(&cycle, profile, info)
}

/// `MoreImportantPod`'s order: higher priority first, then the one that started first (a pod
/// not started yet counts as starting now, the latest).
pub fn more_important_first(a: &PodInfo, b: &PodInfo) -> std::cmp::Ordering {
    Reverse(pod_priority(&a.pod))
        .cmp(&Reverse(pod_priority(&b.pod)))
        .then(start_time(a).cmp(&start_time(b)))
}

/// `status.startTime`, or "now" (later than any real time) when unset.
fn start_time(pod: &PodInfo) -> Timestamp {
    pod.pod
        .status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .map_or(Timestamp::MAX, |t| t.0)
}

// ANCHOR: preemption_api
/// The fewest victims on `node` that make room for `pod` (`SelectVictimsOnNode`): remove
/// every pod of lower priority; if the pod still does not fit, the node is no candidate (the
/// filters' reasons say why); else add them back one by one, most important first, keeping
/// each one that still leaves room. Errors with the reasons when the node cannot be used.
pub fn select_victims_on_node(
    snapshot: &Snapshot,
    pod: &PodInfo,
    profile: &Profile,
    node: &str,
) -> Result<Vec<Arc<PodInfo>>, Vec<String>> {
    // BEGIN SOLUTION step-5: remove all lower-priority pods, check the fit, then reprieve the most important first
    let priority = pod_priority(&pod.pod);
    let Some(info) = snapshot.node(node) else {
        return Err(vec![NOT_HELPFUL.to_string()]);
    };
    let mut potential: Vec<Arc<PodInfo>> = info
        .pods
        .iter()
        .filter(|p| pod_priority(&p.pod) < priority)
        .cloned()
        .collect();
    if potential.is_empty() {
        return Err(vec![NO_VICTIMS.to_string()]);
    }
    let mut trial = snapshot.clone();
    for victim in &potential {
        trial.remove_pod(&victim.key);
    }
    fits(&trial, pod, profile, node).map_err(|r| r.reasons)?;
    potential.sort_by(|a, b| more_important_first(a, b));
    let mut victims = Vec::new();
    for candidate in potential {
        if trial.add_pod_info(Arc::clone(&candidate)).is_err() {
            continue;
        }
        if fits(&trial, pod, profile, node).is_err() {
            trial.remove_pod(&candidate.key);
            victims.push(candidate);
        }
    }
    Ok(victims)
    // END SOLUTION
}

/// A criterion of [`pick_one_node_for_preemption`] as a number to minimise.
type CandidateKey = fn(&Candidate) -> i128;

/// The priority of a candidate's most important victim (its first).
fn highest_victim_priority(candidate: &Candidate) -> i32 {
    candidate
        .victims
        .first()
        .map_or(i32::MIN, |v| pod_priority(&v.pod))
}

/// The candidate to preempt on (`pickOneNodeForPreemption`), and the criterion that decided:
/// fewest PDB violations, then the lowest priority of the most important victim, then the
/// smallest sum of priorities, then the fewest victims, then the latest start time of the
/// most important victims, then the first. `None` when there is no candidate.
pub fn pick_one_node_for_preemption(candidates: &[Candidate]) -> Option<(usize, Criterion)> {
    // BEGIN SOLUTION step-5: keep the candidates best on each criterion in turn until one is left
    if candidates.is_empty() {
        return None;
    }
    if candidates.len() == 1 {
        return Some((0, Criterion::OnlyCandidate));
    }
    // Each criterion as a key to minimise.
    let criteria: [(Criterion, CandidateKey); 5] = [
        (Criterion::FewestPdbViolations, |c| {
            c.num_pdb_violations as i128
        }),
        (Criterion::LowestHighestPriority, |c| {
            i128::from(highest_victim_priority(c))
        }),
        // Shifted so every term is positive: more victims never make a smaller sum.
        (Criterion::SmallestPrioritySum, |c| {
            c.victims
                .iter()
                .map(|v| i128::from(pod_priority(&v.pod)) + i128::from(i32::MAX) + 1)
                .sum()
        }),
        (Criterion::FewestVictims, |c| c.victims.len() as i128),
        // The earliest start among its most important victims; the latest of those wins.
        (Criterion::LatestStartTime, |c| {
            let earliest = c
                .victims
                .iter()
                .filter(|v| pod_priority(&v.pod) == highest_victim_priority(c))
                .map(|v| start_time(v))
                .min()
                .unwrap_or(Timestamp::MAX);
            -earliest.as_nanosecond()
        }),
    ];
    let mut left: Vec<usize> = (0..candidates.len()).collect();
    for (criterion, key) in criteria {
        let best = left.iter().map(|&i| key(&candidates[i])).min()?;
        left.retain(|&i| key(&candidates[i]) == best);
        if left.len() == 1 {
            return Some((left[0], criterion));
        }
    }
    Some((left[0], Criterion::FirstCandidate))
    // END SOLUTION
}
// ANCHOR_END: preemption_api
