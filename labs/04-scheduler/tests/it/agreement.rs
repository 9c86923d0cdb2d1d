//! The simulator agrees with the running scheduler: each example scenario is simulated, then
//! its Nodes and Pods are loaded into lab-02 and the real loop schedules the pending pods with
//! the same seed; every pod must land where the simulator put it, or both must report it
//! unschedulable with the same message.
//!
//! What makes the comparison honest (each point is a way the loop could legitimately differ):
//!
//! - **Node order.** Filters visit nodes, and ties are drawn, in snapshot order, which is the
//!   order the loop's node informer saw them. The scheduler starts on an empty cluster and a
//!   probe pod proves its informers run before the nodes are created one by one in file order,
//!   each with its status in the create (as a kubelet registers), so the watch delivers them in
//!   file order, complete. A second probe proves the loop has all N nodes before any pending pod
//!   exists: it waits for "0/N nodes are available" (the node watch may lag the pod watch).
//!   Only then are the running pods created (a bound pod whose node the loop has not seen is
//!   left out of its snapshot), then the pending ones, all on the same pod watch.
//! - **Queue order.** The simulator schedules pending pods in file order, each seeing the ones
//!   before it; the loop pops by priority then arrival. So pods are created one at a time, each
//!   once the previous one is bound or reported unschedulable: the queue never holds two.
//! - **Retries.** The simulator tries a pod once; the loop retries an unschedulable pod when a
//!   cluster event may help (a later pod binding can satisfy its pod affinity). A retry is
//!   correct behaviour but is not what the simulator models, so each pod reported unschedulable
//!   is deleted once its condition is read: it leaves no assumed state and consumes nothing of
//!   the tie-breaking generator (failed cycles do not draw).
//! - **Preemption (step 5).** The loop reports the preemptor unschedulable (with
//!   `nominatedNodeName`), deletes the victims, and binds the pod on a later cycle; the simulator
//!   places it on the nominated node at once. The comparison waits for the binding and checks
//!   the victims are gone.
//! - **Other schedulers' pods** are never touched by either; a final probe proves the loop saw
//!   them before they are checked.

use std::path::Path;

use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use lab_04::preemption::{PriorityClasses, admit};
use lab_04::simulate::{Decision, Options, load, simulate};

use crate::cluster::{Cluster, node_name};

/// Where a pod ended up, in terms both sides can report.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Placement {
    /// Bound to this node.
    Node(String),
    /// `PodScheduled=False` with this message.
    Unschedulable(String),
    /// Another scheduler's pod: left alone.
    NotOurs,
}

/// The scenario's documents as the test creates them: nodes and running pods in file order.
struct Scenario {
    nodes: Vec<Node>,
    running: Vec<Pod>,
    pending: Vec<Pod>,
}

fn read(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(path);
    std::fs::read_to_string(&path).expect("example scenario")
}

/// Splits a scenario into what the cluster gets, with priorities resolved as the simulator's
/// admission does (lab-02 has no Priority admission plugin).
fn scenario(text: &str) -> Scenario {
    let loaded = load(text).expect("a valid scenario");
    let classes: &PriorityClasses = &loaded.classes;
    let mut nodes = Vec::new();
    let mut running = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = <serde_yaml::Value as serde::Deserialize>::deserialize(document)
            .expect("YAML document");
        match value.get("kind").and_then(serde_yaml::Value::as_str) {
            Some("Node") => nodes.push(serde_yaml::from_value(value).expect("a Node")),
            Some("Pod") => {
                let mut pod: Pod = serde_yaml::from_value(value).expect("a Pod");
                if node_name(&pod).is_some() {
                    let names_class = pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.priority_class_name.as_deref())
                        .is_some_and(|n| !n.is_empty());
                    if !classes.is_empty() || names_class {
                        admit(&mut pod, classes).expect("admitted");
                    }
                    running.push(pod);
                }
            }
            _ => {}
        }
    }
    let pending = loaded.pending.iter().map(|p| (*p.pod).clone()).collect();
    Scenario {
        nodes,
        running,
        pending,
    }
}

/// The simulator's placements, in file order, and the victims of its preemptions.
fn simulated(text: &str, preemption: bool) -> (Vec<(String, Placement)>, Vec<String>) {
    let options = Options {
        seed: 0,
        preemption,
    };
    let simulation = simulate(text, &options).expect("a valid scenario");
    let mut victims = Vec::new();
    let placements = simulation
        .outcomes
        .into_iter()
        .map(|outcome| {
            let placement = match outcome.decision {
                Decision::Scheduled(result) => Placement::Node(result.node),
                Decision::Preempted { preemption, .. } => {
                    victims.extend(preemption.victims);
                    Placement::Node(preemption.nominated_node_name)
                }
                Decision::Unschedulable(fit) => Placement::Unschedulable(fit.to_string()),
                Decision::NotOurs(_) => Placement::NotOurs,
            };
            (outcome.pod, placement)
        })
        .collect();
    (placements, victims)
}

fn namespace_of(pod: &Pod) -> String {
    pod.metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string())
}

fn pods_in(cluster: &Cluster, pod: &Pod) -> Api<Pod> {
    Api::namespaced(cluster.client.clone(), &namespace_of(pod))
}

/// The pod's `PodScheduled=False` message, unless it is only nominated (preemption under way).
fn unschedulable_message(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    if status.nominated_node_name.is_some() {
        return None;
    }
    status
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
        .map(|c| c.message.clone().unwrap_or_default())
}

/// Creates a pod no node can take (its nodeSelector matches nothing), waits until the loop
/// reports it with a message that starts with `prefix`, and deletes it. Its report says the
/// loop has handled every pod created before it; its "0/N" says how many nodes the scheduler
/// knows (the node watch may lag behind the pod watch: each node's arrival retries the probe
/// and updates the message).
fn probe(cluster: &Cluster, name: &str, prefix: &str) {
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "nodeSelector": {"lab-04.example.com/probe": "matches-no-node"},
            "containers": [{"name": "c", "image": "busybox"}],
        },
    }))
    .expect("a probe pod");
    let pods = cluster.pods();
    cluster
        .block_on(pods.create(&PostParams::default(), &pod))
        .expect("create the probe");
    cluster.wait_for(&format!("{name} reported as {prefix:?}"), || async {
        unschedulable_message(&pods.get(name).await.ok()?).filter(|m| m.starts_with(prefix))
    });
    cluster
        .block_on(pods.delete(name, &DeleteParams::default()))
        .expect("delete the probe");
    cluster.wait_for(&format!("{name} gone"), || async {
        pods.get(name).await.is_err().then_some(())
    });
}

/// Runs the scenario through the loop: each pending pod's placement, in file order, and the
/// keys of the scenario's running pods that are gone at the end (preemption's victims).
fn scheduled_by_loop(text: &str, preemption: bool) -> (Vec<(String, Placement)>, Vec<String>) {
    let scenario = scenario(text);
    let cluster = Cluster::start();
    cluster.start_scheduler(preemption);
    // The pod informer starts once the node informer has synced: a probe's report proves both
    // watch, so every node created from here on arrives through the watch, in creation order.
    probe(&cluster, "probe-before-nodes", "");

    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    let mut wanted: Vec<String> = scenario
        .running
        .iter()
        .chain(&scenario.pending)
        .map(namespace_of)
        .filter(|n| n != "default")
        .collect();
    wanted.sort();
    wanted.dedup();
    for name in wanted {
        let namespace: Namespace =
            serde_json::from_value(serde_json::json!({"metadata": {"name": name}}))
                .expect("a namespace");
        cluster
            .block_on(namespaces.create(&PostParams::default(), &namespace))
            .expect("create namespace");
    }
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    for node in &scenario.nodes {
        let created = cluster
            .block_on(nodes.create(&PostParams::default(), node))
            .expect("create node");
        // A kubelet registers its Node with its status; the server keeps it.
        assert_eq!(
            created.status.as_ref().and_then(|s| s.allocatable.as_ref()),
            node.status.as_ref().and_then(|s| s.allocatable.as_ref()),
            "the status given on create is kept"
        );
    }
    let all_nodes = format!("0/{} nodes are available", scenario.nodes.len());
    probe(&cluster, "probe-after-nodes", &all_nodes);
    // Only now the running pods: the loop's snapshot drops a bound pod whose node it has not
    // seen yet. The pending pods come after them on the same watch.
    for pod in &scenario.running {
        cluster
            .block_on(pods_in(&cluster, pod).create(&PostParams::default(), pod))
            .expect("create running pod");
    }

    let mut placements = Vec::new();
    for pod in &scenario.pending {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let key = format!("{}/{name}", namespace_of(pod));
        let api = pods_in(&cluster, pod);
        cluster
            .block_on(api.create(&PostParams::default(), pod))
            .expect("create pending pod");
        let ours = pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.as_deref())
            .is_none_or(|s| s == "default-scheduler");
        if !ours {
            placements.push((key, Placement::NotOurs));
            continue;
        }
        let placement = cluster.wait_for(&format!("{key} bound or unschedulable"), || async {
            let now = api.get(&name).await.ok()?;
            if let Some(node) = node_name(&now) {
                return Some(Placement::Node(node));
            }
            unschedulable_message(&now).map(Placement::Unschedulable)
        });
        if let Placement::Unschedulable(_) = placement {
            // No retries: see the module's doc.
            cluster
                .block_on(api.delete(&name, &DeleteParams::default()))
                .expect("delete unschedulable pod");
            cluster.wait_for(&format!("{key} gone"), || async {
                api.get(&name).await.is_err().then_some(())
            });
        }
        placements.push((key, placement));
    }
    // Other schedulers' pods: the loop has seen them (they came before this probe) and left
    // them pending without a condition.
    probe(&cluster, "probe-at-the-end", "");
    for pod in &scenario.pending {
        let ours = pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.as_deref())
            .is_none_or(|s| s == "default-scheduler");
        if !ours {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let now = cluster
                .block_on(pods_in(&cluster, pod).get(&name))
                .expect("get");
            assert_eq!(node_name(&now), None, "{name} belongs to another scheduler");
            let conditions = now.status.and_then(|s| s.conditions).unwrap_or_default();
            assert!(
                conditions.iter().all(|c| c.type_ != "PodScheduled"),
                "{name} belongs to another scheduler: {conditions:?}"
            );
        }
    }
    let mut gone = Vec::new();
    for pod in &scenario.running {
        let name = pod.metadata.name.clone().unwrap_or_default();
        if cluster.block_on(pods_in(&cluster, pod).get(&name)).is_err() {
            gone.push(format!("{}/{name}", namespace_of(pod)));
        }
    }
    (placements, gone)
}

/// Asserts the loop places every pending pod of `example` where the simulator does.
fn assert_agree(example: &str, preemption: bool) {
    let text = read(example);
    let (expected, mut victims) = simulated(&text, preemption);
    let (actual, mut gone) = scheduled_by_loop(&text, preemption);
    assert_eq!(
        actual, expected,
        "{example}: the running scheduler (left) and the simulator (right) disagree"
    );
    victims.sort();
    gone.sort();
    assert_eq!(
        gone, victims,
        "{example}: the running pods preempted (loop, simulator)"
    );
}

macro_rules! agreement {
    ($test:ident, $file:literal) => {
        #[test]
        fn $test() {
            assert_agree($file, false);
        }
    };
}

agreement!(
    step4_loop_agrees_with_simulator_on_app_and_log_collector,
    "app-and-log-collector.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_app_and_log_collector_as_two_pods,
    "app-and-log-collector-as-two-pods.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_filter_node_unschedulable,
    "filters/node-unschedulable.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_filter_node_resources_fit,
    "filters/node-resources-fit.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_filter_node_ports,
    "filters/node-ports.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_filter_node_affinity,
    "filters/node-affinity.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_filter_taint_toleration,
    "filters/taint-toleration.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_filter_inter_pod_affinity,
    "filters/inter-pod-affinity.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_filter_topology_spread,
    "filters/topology-spread.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_score_node_resources,
    "scores/node-resources.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_score_image_locality,
    "scores/image-locality.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_score_node_affinity,
    "scores/node-affinity-preferred.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_score_inter_pod_affinity,
    "scores/inter-pod-affinity-preferred.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_score_taint_toleration,
    "scores/taint-prefer-no-schedule.yaml"
);
agreement!(
    step4_loop_agrees_with_simulator_on_score_topology_spread,
    "scores/topology-spread-schedule-anyway.yaml"
);

#[test]
fn step5_loop_agrees_with_simulator_on_preemption_minimal_victims() {
    assert_agree("preemption/minimal-victims.yaml", true);
}
