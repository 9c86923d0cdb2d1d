//! Taints from conditions, and taint-based eviction: which taints a node's `Ready` condition
//! calls for (upstream `doNoScheduleTaintingPass` and `doNoExecuteTaintingPass`), and when a
//! pod on a `NoExecute`-tainted node must go (upstream `pkg/controller/tainteviction`).
//!
//! ```text
//! Ready=True     ->  (no node-condition taint)
//! Ready=False    ->  node.kubernetes.io/not-ready:NoSchedule    + node.kubernetes.io/not-ready:NoExecute
//! Ready=Unknown  ->  node.kubernetes.io/unreachable:NoSchedule  + node.kubernetes.io/unreachable:NoExecute
//! ```
//!
//! `NoSchedule` keeps new pods away (the scheduler reads it); `NoExecute` evicts the pods
//! already there, unless they tolerate it, and then only after their `tolerationSeconds`.

use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::{Node, Pod, Taint, Toleration};

use super::health::ready_status;
use crate::pods::{to_system_time, to_time};

/// The taint of a node whose `Ready` condition is `False`.
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
/// The taint of a node whose `Ready` condition is `Unknown` (its kubelet went silent).
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// Whether `taint` is one this controller manages (the not-ready and unreachable taints, of
/// any effect).
fn is_condition_taint(taint: &Taint) -> bool {
    taint.key == NOT_READY || taint.key == UNREACHABLE
}

// ANCHOR: desired_taints
/// The node's taints after a pass at `now`, or `None` when they are right already. The
/// taint key the `Ready` condition calls for (none for `True` or no condition) is present
/// with both effects, `NoSchedule` and `NoExecute`, the `NoExecute` one stamped with
/// `timeAdded` (the eviction clock starts there); the other managed key is removed; every
/// other taint (an admin's) is kept as it is, and a taint already present keeps its
/// `timeAdded`.
pub fn desired_taints(node: &Node, now: SystemTime) -> Option<Vec<Taint>> {
    // ANCHOR_END: desired_taints
    // BEGIN SOLUTION step-6: choose the key from the Ready status; keep foreign taints and matching existing ones; add the missing effects; None if equal to the current list
    let wanted = match ready_status(node) {
        Some("False") => Some(NOT_READY),
        Some("Unknown") => Some(UNREACHABLE),
        _ => None,
    };
    let current = node
        .spec
        .as_ref()
        .and_then(|spec| spec.taints.clone())
        .unwrap_or_default();
    let mut taints: Vec<Taint> = current
        .iter()
        .filter(|taint| !is_condition_taint(taint) || Some(taint.key.as_str()) == wanted)
        .cloned()
        .collect();
    if let Some(key) = wanted {
        for effect in ["NoSchedule", "NoExecute"] {
            if !taints.iter().any(|t| t.key == key && t.effect == effect) {
                taints.push(Taint {
                    key: key.to_owned(),
                    effect: effect.to_owned(),
                    time_added: (effect == "NoExecute").then(|| to_time(now)),
                    value: None,
                });
            }
        }
    }
    (taints != current).then_some(taints)
    // END SOLUTION
}

// ANCHOR: tolerates
/// Whether `toleration` tolerates `taint` (upstream `Toleration.ToleratesTaint`): an empty
/// effect matches every effect, an empty key every key; `Exists` matches any value, `Equal`
/// (the default) only the same value.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or_default();
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or_default() {
        "Exists" => true,
        "" | "Equal" => {
            toleration.value.as_deref().unwrap_or_default()
                == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}
// ANCHOR_END: tolerates

/// What taint-based eviction does with one pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eviction {
    /// Leave it: no `NoExecute` taint, or it tolerates them all forever.
    Keep,
    /// Delete it now.
    Now,
    /// Delete it at this time unless the taints go first.
    At(SystemTime),
}

// ANCHOR: eviction
/// What to do with `pod`, on a node with `taints`, at `now` (upstream `processPodOnNode`).
/// Only `NoExecute` taints count. A pod that does not tolerate one of them goes now. A pod
/// that tolerates them all stays for the *shortest* `tolerationSeconds` among the tolerations
/// used (one without `tolerationSeconds` tolerates forever; zero or less means now), counted
/// from `since`: the earliest `timeAdded` of those taints, or `first_seen` (when the
/// controller first saw the pod under them) if that is earlier or no taint has one.
pub fn eviction(pod: &Pod, taints: &[Taint], first_seen: SystemTime, now: SystemTime) -> Eviction {
    // ANCHOR_END: eviction
    // BEGIN SOLUTION step-6: keep only NoExecute taints; each must be tolerated (else Now); min tolerationSeconds of the tolerations used (none: Keep, <= 0: Now); At(since + min), Now if past
    let no_execute: Vec<&Taint> = taints.iter().filter(|t| t.effect == "NoExecute").collect();
    if no_execute.is_empty() {
        return Eviction::Keep;
    }
    let tolerations = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.tolerations.as_deref())
        .unwrap_or_default();
    let mut shortest: Option<i64> = None;
    for taint in &no_execute {
        let used: Vec<&Toleration> = tolerations
            .iter()
            .filter(|toleration| tolerates(toleration, taint))
            .collect();
        if used.is_empty() {
            return Eviction::Now;
        }
        for seconds in used.iter().filter_map(|t| t.toleration_seconds) {
            shortest = Some(shortest.map_or(seconds, |s| s.min(seconds)));
        }
    }
    let Some(seconds) = shortest else {
        return Eviction::Keep;
    };
    if seconds <= 0 {
        return Eviction::Now;
    }
    let since = no_execute
        .iter()
        .filter_map(|taint| taint.time_added.as_ref().map(to_system_time))
        .chain(std::iter::once(first_seen))
        .min()
        .unwrap_or(first_seen);
    let due = since + Duration::from_secs(seconds.unsigned_abs());
    if due <= now {
        Eviction::Now
    } else {
        Eviction::At(due)
    }
    // END SOLUTION
}
