//! Step 5: priority and preemption, over small scenarios written inline (the simulator runs
//! them with preemption on).

use lab_04::framework::Profile;
use lab_04::preemption::{
    Criterion, PriorityClasses, PriorityError, pick_one_node_for_preemption, resolve_priority,
    select_victims_on_node,
};
use lab_04::simulate::{Decision, Options, Simulation, simulate};

use crate::support::{pod, scenario};

fn run(yaml: &str) -> Simulation {
    simulate(
        yaml,
        &Options {
            seed: 0,
            preemption: true,
        },
    )
    .expect("a valid scenario")
}

fn node(name: &str, cpu: u32) -> String {
    format!(
        "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}}}}}\n\
         status: {{allocatable: {{cpu: \"{cpu}\", memory: 8Gi, pods: \"110\"}}}}\n---\n"
    )
}

/// A pod of `priority` asking for `cpu` cores, on `node` if given; `extra` goes into its spec.
fn pod_doc(name: &str, cpu: u32, priority: i32, node: Option<&str>, extra: &str) -> String {
    let node = node.map_or(String::new(), |n| format!("nodeName: {n}, "));
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\n\
         spec: {{{node}priority: {priority}, {extra}containers: [{{name: c, image: busybox, \
         resources: {{requests: {{cpu: \"{cpu}\"}}}}}}]}}\n---\n"
    )
}

fn started(time: &str) -> String {
    format!("status: {{startTime: \"{time}\"}}")
}

/// Like [`pod_doc`] for a running pod with `status.startTime`.
fn running(name: &str, cpu: u32, priority: i32, node: &str, start: &str) -> String {
    let doc = pod_doc(name, cpu, priority, Some(node), "");
    format!("{}{}\n---\n", doc.trim_end_matches("---\n"), started(start))
}

/// `(node, victims)` if the single pending pod preempted, else its message.
fn outcome(simulation: &Simulation) -> Result<(String, Vec<String>, Criterion), String> {
    match &simulation.outcomes[0].decision {
        Decision::Preempted { preemption, .. } => Ok((
            preemption.nominated_node_name.clone(),
            preemption.victims.clone(),
            preemption.chosen_by,
        )),
        Decision::Unschedulable(fit) => Err(fit.to_string()),
        other => panic!("unexpected decision {other:?}"),
    }
}

#[test]
fn step5_priority_comes_from_spec_then_class_then_global_default_then_zero() {
    let mut classes = PriorityClasses::new();
    let class = |yaml: &str| serde_yaml::from_str(yaml).expect("class YAML");
    classes.add(class("metadata: {name: high}\nvalue: 1000"));
    let plain = pod("metadata: {name: p}\nspec: {containers: []}");
    assert_eq!(resolve_priority(&plain, &classes), Ok(0));
    classes.add(class(
        "metadata: {name: everyone}\nvalue: 7\nglobalDefault: true",
    ));
    assert_eq!(resolve_priority(&plain, &classes), Ok(7));
    let named = pod("metadata: {name: p}\nspec: {priorityClassName: high, containers: []}");
    assert_eq!(resolve_priority(&named, &classes), Ok(1000));
    let critical =
        pod("metadata: {name: p}\nspec: {priorityClassName: system-node-critical, containers: []}");
    assert_eq!(resolve_priority(&critical, &classes), Ok(2_000_001_000));
    let admitted =
        pod("metadata: {name: p}\nspec: {priority: 3, priorityClassName: high, containers: []}");
    assert_eq!(resolve_priority(&admitted, &classes), Ok(3));
    let unknown = pod("metadata: {name: p}\nspec: {priorityClassName: gold, containers: []}");
    assert_eq!(
        resolve_priority(&unknown, &classes),
        Err(PriorityError::UnknownClass("gold".into()))
    );
}

#[test]
fn step5_victims_are_the_fewest_lower_priority_pods_reprieving_the_most_important() {
    // node-a is full: two 1-core pods of priority 10 and a 2-core pod of priority 50.
    // Removing the 2-core pod alone would do, but it is the more important one: upstream
    // gives it back first, so the two priority-10 pods go.
    let yaml = node("node-a", 4)
        + &pod_doc("low-1", 1, 10, Some("node-a"), "")
        + &pod_doc("low-2", 1, 10, Some("node-a"), "")
        + &pod_doc("mid", 2, 50, Some("node-a"), "")
        + &pod_doc("urgent", 2, 1000, None, "");
    let (snapshot, pending) = scenario(&yaml);
    let victims = select_victims_on_node(&snapshot, &pending[0], &Profile::default(), "node-a")
        .expect("node-a is a candidate");
    let keys: Vec<&str> = victims.iter().map(|v| v.key.as_str()).collect();
    assert_eq!(keys, ["default/low-1", "default/low-2"]);
    // A pod that needs just one core takes one victim only.
    let small = node("node-a", 4)
        + &pod_doc("low-1", 1, 10, Some("node-a"), "")
        + &pod_doc("low-2", 1, 10, Some("node-a"), "")
        + &pod_doc("mid", 2, 50, Some("node-a"), "")
        + &pod_doc("urgent", 1, 1000, None, "");
    let (node_a, victims, _) = outcome(&run(&small)).expect("preempts");
    assert_eq!((node_a.as_str(), victims.len()), ("node-a", 1));
}

#[test]
fn step5_preemption_prefers_the_node_whose_most_important_victim_matters_least() {
    let yaml = node("node-a", 2)
        + &node("node-b", 2)
        + &pod_doc("a-mid", 2, 50, Some("node-a"), "")
        + &pod_doc("b-low-1", 1, 10, Some("node-b"), "")
        + &pod_doc("b-low-2", 1, 10, Some("node-b"), "")
        + &pod_doc("urgent", 2, 1000, None, "");
    let simulation = run(&yaml);
    assert_eq!(
        outcome(&simulation),
        Ok((
            "node-b".to_string(),
            vec!["default/b-low-1".to_string(), "default/b-low-2".to_string()],
            Criterion::LowestHighestPriority
        ))
    );
}

#[test]
fn step5_preemption_tie_breaks_on_priority_sum_then_latest_start_time() {
    // Same highest victim priority; node-a needs two victims, node-b one: the smaller sum wins.
    let sum = node("node-a", 2)
        + &node("node-b", 2)
        + &pod_doc("a-1", 1, 10, Some("node-a"), "")
        + &pod_doc("a-2", 1, 10, Some("node-a"), "")
        + &pod_doc("b-1", 2, 10, Some("node-b"), "")
        + &pod_doc("urgent", 2, 1000, None, "");
    let (chosen, _, criterion) = outcome(&run(&sum)).expect("preempts");
    assert_eq!(
        (chosen.as_str(), criterion),
        ("node-b", Criterion::SmallestPrioritySum)
    );
    // All equal but the start times: evict the pod that has run the least.
    let start = node("node-a", 2)
        + &node("node-b", 2)
        + &running("a-1", 2, 10, "node-a", "2024-01-01T10:00:00Z")
        + &running("b-1", 2, 10, "node-b", "2024-01-01T09:00:00Z")
        + &pod_doc("urgent", 2, 1000, None, "");
    let (chosen, victims, criterion) = outcome(&run(&start)).expect("preempts");
    assert_eq!(
        (chosen.as_str(), victims, criterion),
        (
            "node-a",
            vec!["default/a-1".to_string()],
            Criterion::LatestStartTime
        )
    );
}

#[test]
fn step5_equal_priority_cannot_preempt_and_says_so() {
    let yaml = node("node-a", 2)
        + &node("node-b", 2)
        + &pod_doc("a", 2, 100, Some("node-a"), "")
        + &pod_doc("b", 2, 100, Some("node-b"), "")
        + &pod_doc("peer", 1, 100, None, "");
    assert_eq!(
        outcome(&run(&yaml)),
        Err(
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are \
             available: 2 No preemption victims found for incoming pod.."
                .to_string()
        )
    );
}

#[test]
fn step5_nodes_rejected_for_unresolvable_reasons_are_not_helpful() {
    let yaml = node("node-a", 2)
        + "apiVersion: v1\nkind: Node\nmetadata: {name: cordoned}\nspec: {unschedulable: true}\n\
           status: {allocatable: {cpu: \"8\", memory: 8Gi, pods: \"110\"}}\n---\n"
        + &pod_doc("a", 1, 100, Some("node-a"), "")
        + &pod_doc("x", 1, 2000, Some("node-a"), "")
        + &pod_doc("big", 2, 1000, None, "");
    // node-a: without pod a, pod x of higher priority still takes half of it.
    assert_eq!(
        outcome(&run(&yaml)),
        Err(
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable. \
             preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 Preemption is not \
             helpful for scheduling.."
                .to_string()
        )
    );
    // A request larger than the node's allocatable is unresolvable too.
    let too_big = node("node-a", 2)
        + &pod_doc("a", 1, 100, Some("node-a"), "")
        + &pod_doc("huge", 3, 1000, None, "");
    assert_eq!(
        outcome(&run(&too_big)),
        Err(
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are \
             available: 1 Preemption is not helpful for scheduling.."
                .to_string()
        )
    );
}

#[test]
fn step5_preemption_policy_never_does_not_preempt() {
    let yaml = node("node-a", 2)
        + &pod_doc("a", 2, 0, Some("node-a"), "")
        + &pod_doc("polite", 1, 1000, None, "preemptionPolicy: Never, ");
    assert_eq!(
        outcome(&run(&yaml)),
        Err(
            "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to \
             preemptionPolicy=Never.."
                .to_string()
        )
    );
}

#[test]
fn step5_pick_one_node_needs_candidates() {
    assert_eq!(pick_one_node_for_preemption(&[]), None);
}
