//! Where a DaemonSet's pod belongs: which nodes should run one (upstream
//! `NodeShouldRunDaemonPod`), the tolerations every daemon pod gets, and the node affinity
//! that pins a pod to its node.
//!
//! Since Kubernetes 1.12 the DaemonSet controller does not bind its pods itself: it creates
//! each with a required node affinity `metadata.name In [<node>]` and the scheduler binds it,
//! so daemon pods go through the same checks (resources, preemption) as every other pod. The
//! controller only decides *which* nodes, with the scheduler's own rules for the pod's
//! `nodeSelector`, required node affinity and taints.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec,
    Taint, Toleration,
};

use crate::nodelifecycle::taints::tolerates;

/// Whether a node should run the daemon pod, and whether a pod already there may stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// A new pod belongs there: selector and affinity match, every `NoSchedule` and
    /// `NoExecute` taint is tolerated.
    pub should_run: bool,
    /// A pod already there may stay: selector and affinity match, every `NoExecute` taint is
    /// tolerated (a `NoSchedule` taint added later does not evict).
    pub should_continue_running: bool,
}

/// The tolerations the DaemonSet controller adds to every daemon pod
/// (`AddOrUpdateDaemonPodTolerations`): a daemon belongs on its node even when the node is
/// unhealthy, under pressure or cordoned. The `NoExecute` ones have no `tolerationSeconds`:
/// never evicted.
pub fn daemon_tolerations(host_network: bool) -> Vec<Toleration> {
    let toleration = |key: &str, effect: &str| Toleration {
        key: Some(key.to_owned()),
        operator: Some("Exists".to_owned()),
        effect: Some(effect.to_owned()),
        ..Toleration::default()
    };
    let mut tolerations = vec![
        toleration("node.kubernetes.io/not-ready", "NoExecute"),
        toleration("node.kubernetes.io/unreachable", "NoExecute"),
        toleration("node.kubernetes.io/disk-pressure", "NoSchedule"),
        toleration("node.kubernetes.io/memory-pressure", "NoSchedule"),
        toleration("node.kubernetes.io/pid-pressure", "NoSchedule"),
        toleration("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        tolerations.push(toleration(
            "node.kubernetes.io/network-unavailable",
            "NoSchedule",
        ));
    }
    tolerations
}

/// `spec` with the daemon tolerations added (those it already has are not repeated).
pub fn with_daemon_tolerations(spec: &PodSpec) -> PodSpec {
    let mut spec = spec.clone();
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for toleration in daemon_tolerations(spec.host_network == Some(true)) {
        if !tolerations
            .iter()
            .any(|existing| existing.key == toleration.key && existing.effect == toleration.effect)
        {
            tolerations.push(toleration);
        }
    }
    spec
}

/// Whether one node selector requirement holds for the node (`In`, `NotIn`, `Exists`,
/// `DoesNotExist`, `Gt`, `Lt` on a label; `In`/`NotIn` on the field `metadata.name`).
fn requirement_holds(requirement: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = requirement.values.as_deref().unwrap_or_default();
    let number = |text: &str| text.parse::<i64>().ok();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(actual), Some(bound)) = (
                value.and_then(number),
                values.first().and_then(|b| number(b)),
            ) else {
                return false;
            };
            if requirement.operator == "Gt" {
                actual > bound
            } else {
                actual < bound
            }
        }
        _ => false,
    }
}

/// Whether the node satisfies one term: every expression on its labels and every field
/// requirement (`metadata.name`). An empty term matches nothing.
fn term_matches(term: &NodeSelectorTerm, node: &Node, labels: &BTreeMap<String, String>) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    expressions
        .iter()
        .all(|r| requirement_holds(r, labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| {
            r.key == "metadata.name" && requirement_holds(r, node.metadata.name.as_deref())
        })
}

/// Whether the node satisfies the pod's `nodeSelector` (every pair) and its required node
/// affinity (any one term).
pub fn node_matches(spec: &PodSpec, node: &Node) -> bool {
    let empty = BTreeMap::new();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let selector_ok = spec
        .node_selector
        .iter()
        .flatten()
        .all(|(key, value)| labels.get(key) == Some(value));
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let affinity_ok = required.is_none_or(|selector| {
        selector
            .node_selector_terms
            .iter()
            .any(|term| term_matches(term, node, labels))
    });
    selector_ok && affinity_ok
}

// ANCHOR: node_should_run
/// Whether `node` should run the daemon pod made from `spec` (the template's spec, daemon
/// tolerations included), and whether one already there may stay (upstream
/// `NodeShouldRunDaemonPod`): the node must match the pod's node selector and required
/// affinity, and the pod must tolerate the node's taints: all `NoSchedule` and `NoExecute`
/// ones to start, the `NoExecute` ones to stay.
pub fn node_should_run(spec: &PodSpec, node: &Node) -> Placement {
    // ANCHOR_END: node_should_run
    // BEGIN SOLUTION step-4: not matching the selector/affinity: neither; else check each taint against the tolerations by effect
    let no = Placement {
        should_run: false,
        should_continue_running: false,
    };
    if !node_matches(spec, node) {
        return no;
    }
    let taints: &[Taint] = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default();
    let tolerations = spec.tolerations.as_deref().unwrap_or_default();
    let tolerated = |taint: &Taint| tolerations.iter().any(|t| tolerates(t, taint));
    let untolerated = |effect: &str| {
        taints
            .iter()
            .any(|taint| taint.effect == effect && !tolerated(taint))
    };
    let no_execute = untolerated("NoExecute");
    Placement {
        should_run: !no_execute && !untolerated("NoSchedule"),
        should_continue_running: !no_execute,
    }
    // END SOLUTION
}

/// The affinity that pins a daemon pod to `node` (upstream
/// `ReplaceDaemonSetPodNodeNameNodeAffinity`): the required node affinity becomes the one
/// term `metadata.name In [node]`. Other required terms are replaced (the controller has
/// already checked them); preferred terms and pod (anti-)affinity stay.
pub fn pin_to_node(affinity: Option<&Affinity>, node: &str) -> Affinity {
    let pinned = NodeSelector {
        node_selector_terms: vec![NodeSelectorTerm {
            match_fields: Some(vec![NodeSelectorRequirement {
                key: "metadata.name".to_owned(),
                operator: "In".to_owned(),
                values: Some(vec![node.to_owned()]),
            }]),
            match_expressions: None,
        }],
    };
    let mut affinity = affinity.cloned().unwrap_or_default();
    let node_affinity = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution = Some(pinned);
    affinity
}

/// The node a daemon pod is for: its `nodeName` once bound, else the `metadata.name` its
/// required node affinity pins it to (upstream `GetTargetNodeName`).
pub fn target_node(spec: &PodSpec) -> Option<&str> {
    if let Some(node) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        return Some(node);
    }
    let terms = &spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms;
    terms.iter().find_map(|term| {
        term.match_fields.as_ref()?.iter().find_map(|field| {
            let values = field.values.as_deref()?;
            (field.key == "metadata.name" && field.operator == "In" && values.len() == 1)
                .then(|| values[0].as_str())
        })
    })
}
