//! TaintToleration: a node's taints repel pods that do not tolerate them. `NoSchedule` and
//! `NoExecute` taints are hard (a filter); `PreferNoSchedule` taints only lower the score.

use k8s_openapi::api::core::v1::{Taint, Toleration};

use crate::framework::Rejection;
use crate::snapshot::{NodeInfo, PodInfo};

/// `Toleration.ToleratesTaint`: an empty effect or key in the toleration matches any; operator
/// `Exists` matches any value, `Equal` (the default) the same value.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("") {
        "" | "Equal" => {
            toleration.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
        }
        "Exists" => true,
        _ => false,
    }
}

fn tolerations(pod: &PodInfo) -> &[Toleration] {
    pod.pod
        .spec
        .as_ref()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or(&[])
}

/// The first `NoSchedule` or `NoExecute` taint of the node that the pod does not tolerate.
pub fn untolerated_taint<'a>(pod: &PodInfo, node: &'a NodeInfo) -> Option<&'a Taint> {
    // BEGIN SOLUTION step-2: only NoSchedule and NoExecute taints count; find one no toleration tolerates
    let tolerations = tolerations(pod);
    node.taints().iter().find(|taint| {
        (taint.effect == "NoSchedule" || taint.effect == "NoExecute")
            && !tolerations.iter().any(|t| tolerates(t, taint))
    })
    // END SOLUTION
}

/// The filter: "node(s) had untolerated taint {key: value}".
pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    match untolerated_taint(pod, node) {
        None => Ok(()),
        Some(taint) => Err(Rejection::unresolvable(
            "TaintToleration",
            format!(
                "node(s) had untolerated taint {{{}: {}}}",
                taint.key,
                taint.value.as_deref().unwrap_or("")
            ),
        )),
    }
}

/// The score before normalising: how many `PreferNoSchedule` taints the pod does not tolerate
/// (only its tolerations with an empty or `PreferNoSchedule` effect count). Normalised in
/// reverse: fewer is better.
pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let tolerations: Vec<&Toleration> = tolerations(pod)
        .iter()
        .filter(|t| {
            matches!(
                t.effect.as_deref(),
                None | Some("") | Some("PreferNoSchedule")
            )
        })
        .collect();
    let count = node
        .taints()
        .iter()
        .filter(|taint| taint.effect == "PreferNoSchedule")
        .filter(|taint| !tolerations.iter().any(|t| tolerates(t, taint)))
        .count();
    count as i64
}
