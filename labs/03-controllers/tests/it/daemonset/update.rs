//! Step 4: a DaemonSet's rolling update, sync by sync, over pure decisions: `maxUnavailable`
//! replaces one node at a time, `maxSurge` starts the new pod before the old one goes, and
//! `OnDelete` waits for the user.

use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use lab_03::daemonset::decide::{DaemonActions, calculate_status, daemon_actions, new_pod};
use lab_03::daemonset::placement::target_node;
use lab_03::daemonset::update::{is_updated, rolling_update, surge_and_unavailable};
use serde_json::{Value, json};

const OLD: &str = "rev1";
const NEW: &str = "rev2";

fn daemon_set(strategy: &Value) -> DaemonSet {
    serde_json::from_value(json!({
        "metadata": {"name": "agent", "namespace": "kube-system", "uid": "ds-uid", "generation": 2},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "updateStrategy": strategy,
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": "agent:2"}]}
            }
        }
    }))
    .expect("a DaemonSet")
}

/// The controller's view of three nodes and the pods on them, synced by hand.
struct Sim {
    ds: DaemonSet,
    nodes: Vec<Arc<Node>>,
    pods: Vec<Arc<Pod>>,
    created: usize,
}

impl Sim {
    /// Nodes a, b and c, each with a ready pod of the old revision.
    fn new(strategy: &Value) -> Sim {
        let ds = daemon_set(strategy);
        let nodes = ["a", "b", "c"]
            .iter()
            .map(|name| {
                Arc::new(serde_json::from_value(json!({"metadata": {"name": name}})).unwrap())
            })
            .collect();
        let mut sim = Sim {
            ds,
            nodes,
            pods: Vec::new(),
            created: 0,
        };
        for node in ["a", "b", "c"] {
            sim.add_pod(node, OLD);
        }
        sim.ready_all();
        sim
    }

    fn add_pod(&mut self, node: &str, hash: &str) {
        let mut pod = new_pod(&self.ds, node, hash);
        self.created += 1;
        pod.metadata.name = Some(format!("{node}-{}", self.created));
        // One second apart: the order the pods were created in.
        pod.metadata.creation_timestamp =
            serde_json::from_value(json!(format!("2024-01-01T00:00:{:02}Z", self.created))).ok();
        self.pods.push(Arc::new(pod));
    }

    /// The kubelet: every pod is running and ready (and, with no minReadySeconds, available).
    fn ready_all(&mut self) {
        for pod in &mut self.pods {
            let mut ready = (**pod).clone();
            ready.status = serde_json::from_value(json!({"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}]}))
            .ok();
            *pod = Arc::new(ready);
        }
    }

    /// The user deletes the pod on `node`.
    fn delete_pod_on(&mut self, node: &str) {
        self.pods
            .retain(|pod| target_node(pod.spec.as_ref().unwrap()) != Some(node));
    }

    /// The state, node by node: `old`/`new` pods, `?` when not ready yet, `-` for none.
    fn state(&self) -> String {
        let node_state = |node: &str| {
            let here: Vec<String> = self
                .pods
                .iter()
                .filter(|pod| target_node(pod.spec.as_ref().unwrap()) == Some(node))
                .map(|pod| {
                    let kind = if is_updated(pod, NEW) { "new" } else { "old" };
                    let ready = if lab_03::pods::is_ready(pod) { "" } else { "?" };
                    format!("{kind}{ready}")
                })
                .collect();
            if here.is_empty() {
                format!("{node}:-")
            } else {
                format!("{node}:{}", here.join("+"))
            }
        };
        ["a", "b", "c"].map(node_state).join(" ")
    }

    /// One sync as the controller does it (manage first; the update only when manage has
    /// nothing to do), applied at once; returns "state -> what the sync did".
    fn sync(&mut self) -> String {
        let now = SystemTime::now();
        let before = self.state();
        let mut actions = daemon_actions(&self.ds, &self.nodes, &self.pods, NEW, now);
        if actions == DaemonActions::default() {
            actions = rolling_update(&self.ds, &self.nodes, &self.pods, NEW, now);
        }
        let mut did = Vec::new();
        for pod in &actions.delete {
            let node = target_node(pod.spec.as_ref().unwrap()).unwrap().to_owned();
            let kind = if is_updated(pod, NEW) { "new" } else { "old" };
            did.push(format!("delete {node}:{kind}"));
            self.pods.retain(|p| p.metadata.name != pod.metadata.name);
        }
        for node in &actions.create_on {
            did.push(format!("create {node}"));
            self.add_pod(node, NEW);
        }
        let did = if did.is_empty() {
            "-".to_owned()
        } else {
            did.join(", ")
        };
        format!("{before} -> {did}")
    }
}

#[test]
fn step4_daemonset_max_unavailable_1_replaces_one_node_at_a_time_state_by_state() {
    let mut sim =
        Sim::new(&json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}));
    let mut log = vec![sim.sync(), sim.sync(), sim.sync()];
    sim.ready_all();
    log.extend([sim.sync(), sim.sync(), sim.sync()]);
    sim.ready_all();
    log.extend([sim.sync(), sim.sync()]);
    sim.ready_all();
    log.push(sim.sync());
    assert_eq!(
        log,
        [
            "a:old b:old c:old -> delete a:old",
            "a:- b:old c:old -> create a",
            // The new pod on a is not available yet: a counts as unavailable, nothing more.
            "a:new? b:old c:old -> -",
            "a:new b:old c:old -> delete b:old",
            "a:new b:- c:old -> create b",
            "a:new b:new? c:old -> -",
            "a:new b:new c:old -> delete c:old",
            "a:new b:new c:- -> create c",
            "a:new b:new c:new -> -",
        ]
    );
}

#[test]
fn step4_daemonset_max_surge_1_starts_the_new_pod_before_deleting_the_old_one() {
    let mut sim = Sim::new(&json!({"type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}));
    let mut log = vec![sim.sync(), sim.sync()];
    sim.ready_all();
    log.extend([sim.sync(), sim.sync(), sim.sync()]);
    sim.ready_all();
    log.extend([sim.sync(), sim.sync()]);
    sim.ready_all();
    log.extend([sim.sync(), sim.sync()]);
    assert_eq!(
        log,
        [
            "a:old b:old c:old -> create a",
            // Two pods on a; surging on one node is all maxSurge 1 allows.
            "a:old+new? b:old c:old -> -",
            // The new pod is available: the old one goes (the manage step sees it first).
            "a:old+new b:old c:old -> delete a:old",
            "a:new b:old c:old -> create b",
            "a:new b:old+new? c:old -> -",
            "a:new b:old+new c:old -> delete b:old",
            "a:new b:new c:old -> create c",
            "a:new b:new c:old+new -> delete c:old",
            "a:new b:new c:new -> -",
        ]
    );
}

#[test]
fn step4_daemonset_on_delete_replaces_a_pod_only_when_the_user_deletes_it() {
    let mut sim = Sim::new(&json!({"type": "OnDelete"}));
    assert_eq!(sim.sync(), "a:old b:old c:old -> -");
    assert_eq!(sim.sync(), "a:old b:old c:old -> -");
    sim.delete_pod_on("b");
    assert_eq!(sim.sync(), "a:old b:- c:old -> create b");
    sim.ready_all();
    assert_eq!(sim.sync(), "a:old b:new c:old -> -");
}

#[test]
fn step4_daemonset_an_unavailable_old_pod_is_replaced_at_once_whatever_the_limit() {
    let mut sim =
        Sim::new(&json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}));
    // b's old pod is not ready: replacing it costs no availability, so it goes at once, on
    // top of the one old pod maxUnavailable allows.
    let mut broken = (*sim.pods[1]).clone();
    broken.status = None;
    sim.pods[1] = Arc::new(broken);
    assert_eq!(
        sim.sync(),
        "a:old b:old? c:old -> delete b:old, delete a:old"
    );
    assert_eq!(sim.sync(), "a:- b:- c:old -> create a, create b");
    // Two new pods not available yet: c waits.
    assert_eq!(sim.sync(), "a:new? b:new? c:old -> -");
}

#[test]
fn step4_daemonset_max_unavailable_and_surge_percentages_round_up() {
    let ds =
        |rolling: Value| daemon_set(&json!({"type": "RollingUpdate", "rollingUpdate": rolling}));
    assert_eq!(
        surge_and_unavailable(&ds(json!({"maxUnavailable": "34%"})), 3),
        (0, 2)
    );
    assert_eq!(
        surge_and_unavailable(&ds(json!({"maxUnavailable": "10%"})), 3),
        (0, 1)
    );
    assert_eq!(
        surge_and_unavailable(&ds(json!({"maxSurge": "50%", "maxUnavailable": 0})), 5),
        (3, 0)
    );
    // Defaults: surge 0, unavailable 1; both 0 would never move, so unavailable is 1.
    assert_eq!(surge_and_unavailable(&ds(json!({})), 3), (0, 1));
    assert_eq!(
        surge_and_unavailable(&ds(json!({"maxSurge": 0, "maxUnavailable": "0%"})), 3),
        (0, 1)
    );
    assert_eq!(
        surge_and_unavailable(&daemon_set(&json!({"type": "OnDelete"})), 3),
        (0, 0)
    );
}

#[test]
fn step4_daemonset_status_counts_updated_pods_by_revision_hash_and_the_oldest_on_a_node() {
    let mut sim = Sim::new(&json!({"type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}));
    sim.sync();
    sim.ready_all();
    sim.sync();
    sim.sync();
    sim.ready_all();
    // a: new; b: old and new (surging); c: old.
    assert_eq!(sim.state(), "a:new b:old+new c:old");
    let status = calculate_status(&sim.ds, &sim.nodes, &sim.pods, NEW, SystemTime::now());
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        json!({
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 3,
            "numberMisscheduled": 0,
            "numberReady": 3,
            "numberAvailable": 3,
            "numberUnavailable": 0,
            // b's oldest pod is the old one: b is not updated yet.
            "updatedNumberScheduled": 1,
            "observedGeneration": 2,
        })
    );
}
