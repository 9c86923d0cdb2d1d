//! Step 4 against the real lab-02 apiserver: a DaemonSet's rolling update, one node at a time,
//! with its ControllerRevisions; `OnDelete` waits for the user. The fake kubelet readies pods.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use lab_03::daemonset::placement::target_node;
use lab_03::daemonset::revisions::revision_data;
use lab_03::history::{HASH_LABEL, data_hash};
use serde_json::{Value, json};

use crate::fake_kubelet::FakeKubelet;
use crate::support::Cluster;

/// How long a test waits for the controller to get somewhere.
const CONVERGE: Duration = Duration::from_secs(30);

pub(crate) struct Env {
    pub(crate) cluster: Cluster,
    pub(crate) kubelet: FakeKubelet,
    pub(crate) daemonsets: Api<DaemonSet>,
    pods: Api<Pod>,
}

/// Three nodes, the fake kubelet and the DaemonSet controller.
pub(crate) fn start() -> Env {
    let env = start_without_controller();
    env.cluster.start_controllers(&["daemonset"]);
    env
}

/// Three nodes and the fake kubelet; no controller yet.
fn start_without_controller() -> Env {
    let cluster = Cluster::start();
    let nodes = Api::<Node>::all(cluster.client.clone());
    for name in ["n1", "n2", "n3"] {
        let node: Node = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        cluster
            .block_on(nodes.create(&PostParams::default(), &node))
            .expect("create a node");
    }
    let kubelet = FakeKubelet::start(&cluster, "default");
    Env {
        daemonsets: Api::namespaced(cluster.client.clone(), "default"),
        pods: Api::namespaced(cluster.client.clone(), "default"),
        cluster,
        kubelet,
    }
}

fn agent(image: &str, strategy: &Value) -> DaemonSet {
    serde_json::from_value(json!({
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "updateStrategy": strategy,
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": image}]}
            }
        }
    }))
    .expect("a DaemonSet")
}

impl Env {
    fn create(&self, ds: &DaemonSet) {
        self.cluster
            .block_on(self.daemonsets.create(&PostParams::default(), ds))
            .expect("create the DaemonSet");
    }

    fn set_image(&self, image: &str) {
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "agent", "image": image}]}}}});
        self.cluster
            .block_on(self.daemonsets.patch(
                "agent",
                &PatchParams::default(),
                &Patch::Strategic(patch),
            ))
            .expect("patch the DaemonSet");
    }

    /// Waits for a status (of the DaemonSet's latest generation) that `done` accepts.
    fn wait_status(&self, what: &str, done: impl Fn(&DaemonSetStatus) -> bool) -> DaemonSetStatus {
        self.cluster.wait_for(what, || {
            let api = self.daemonsets.clone();
            let done = &done;
            async move {
                let ds = api.get("agent").await.ok()?;
                let status = ds.status?;
                (status.observed_generation >= ds.metadata.generation && done(&status))
                    .then_some(status)
            }
        })
    }

    /// Waits until every node runs one available pod of the current template.
    fn wait_rolled_out(&self) -> DaemonSetStatus {
        self.wait_status("the rollout to finish", |s| {
            s.desired_number_scheduled == 3
                && s.updated_number_scheduled == Some(3)
                && s.number_available == Some(3)
                && s.current_number_scheduled == 3
        })
    }

    /// The pods not being deleted, by node: (image, ready, controller-revision-hash).
    pub(crate) fn pods_by_node(&self) -> BTreeMap<String, Vec<(String, bool, String)>> {
        let list = self
            .cluster
            .block_on(self.pods.list(&ListParams::default()))
            .expect("pods");
        let mut by_node: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for pod in list.items {
            if pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let spec = pod.spec.as_ref().expect("a pod spec");
            let node = target_node(spec).unwrap_or_default().to_owned();
            let image = spec.containers[0].image.clone().unwrap_or_default();
            let hash = pod.metadata.labels.as_ref().unwrap()["controller-revision-hash"].clone();
            by_node
                .entry(node)
                .or_default()
                .push((image, lab_03::pods::is_ready(&pod), hash));
        }
        by_node
    }

    /// The DaemonSet's revisions (those with a controller): (number, hash), oldest first.
    pub(crate) fn revisions(&self) -> Vec<(i64, String)> {
        let api = Api::<ControllerRevision>::namespaced(self.cluster.client.clone(), "default");
        let list = self
            .cluster
            .block_on(api.list(&ListParams::default()))
            .expect("revisions");
        let mut revisions: Vec<_> = list
            .items
            .iter()
            .filter(|r| lab_03::pods::controller_of(&r.metadata).is_some())
            .map(|r| {
                let labels = r.metadata.labels.clone().unwrap_or_default();
                (
                    r.revision,
                    labels.get(HASH_LABEL).cloned().unwrap_or_default(),
                )
            })
            .collect();
        revisions.sort();
        revisions
    }
}

#[test]
fn step4_daemonset_rolling_update_replaces_one_node_at_a_time_with_revisions() {
    let env = start();
    env.create(&agent("agent:1", &json!({"type": "RollingUpdate"})));
    env.wait_rolled_out();
    let revisions = env.revisions();
    assert_eq!(revisions.len(), 1, "{revisions:?}");
    assert_eq!(revisions[0].0, 1);

    // With the kubelet paused, the first new pod never becomes ready: the update stops after
    // one node, as maxUnavailable 1 says.
    env.kubelet.pause();
    env.set_image("agent:2");
    env.wait_status("one node updated, not available", |s| {
        s.updated_number_scheduled == Some(1) && s.number_unavailable == Some(1)
    });
    let by_node = env.pods_by_node();
    let images: Vec<(&str, bool)> = by_node
        .values()
        .flatten()
        .map(|(image, ready, _)| (image.as_str(), *ready))
        .collect();
    let mut sorted = images.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [("agent:1", true), ("agent:1", true), ("agent:2", false)],
        "{by_node:?}"
    );
    assert!(by_node.values().all(|pods| pods.len() == 1), "{by_node:?}");

    env.kubelet.resume();
    let status = env.wait_rolled_out();
    assert_eq!(status.number_unavailable, Some(0));
    let revisions = env.revisions();
    assert_eq!(
        revisions.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1, 2],
        "{revisions:?}"
    );
    let by_node = env.pods_by_node();
    for pods in by_node.values() {
        assert_eq!(pods.len(), 1, "{by_node:?}");
        assert_eq!(pods[0].0, "agent:2");
        assert_eq!(pods[0].2, revisions[1].1, "labelled with revision 2's hash");
    }
}

#[test]
fn step4_daemonset_max_surge_rolls_out_with_two_pods_on_a_node_for_a_while() {
    let env = start();
    let strategy = json!({"type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}});
    env.create(&agent("agent:1", &strategy));
    env.wait_rolled_out();
    env.kubelet.pause();
    env.set_image("agent:2");
    // The new pod starts next to the old one, which stays until the new one is available;
    // with that one not available, no other node surges.
    let by_node = labkit::poll_until(CONVERGE, "a node with two pods", || {
        let by_node = env.pods_by_node();
        by_node
            .values()
            .any(|pods| pods.len() == 2)
            .then_some(by_node)
    });
    let mut shapes: Vec<Vec<(String, bool)>> = by_node
        .values()
        .map(|pods| {
            let mut pods: Vec<_> = pods.iter().map(|(i, r, _)| (i.clone(), *r)).collect();
            pods.sort();
            pods
        })
        .collect();
    shapes.sort();
    let old = ("agent:1".to_owned(), true);
    let new = ("agent:2".to_owned(), false);
    assert_eq!(
        shapes,
        [vec![old.clone()], vec![old.clone()], vec![old, new]],
        "{by_node:?}"
    );
    env.kubelet.resume();
    env.wait_rolled_out();
    labkit::poll_until(CONVERGE, "one agent:2 pod on each node", || {
        let by_node = env.pods_by_node();
        let done = by_node.len() == 3
            && by_node
                .values()
                .all(|pods| pods.len() == 1 && pods[0].0 == "agent:2");
        done.then_some(())
    });
}

#[test]
fn step4_daemonset_on_delete_replaces_only_the_pod_the_user_deleted() {
    let env = start();
    env.create(&agent("agent:1", &json!({"type": "OnDelete"})));
    env.wait_rolled_out();
    env.set_image("agent:2");
    // The new generation is seen (a revision 2 exists) and nothing is replaced.
    env.wait_status("the new generation observed", |s| {
        s.updated_number_scheduled == Some(0) && s.number_available == Some(3)
    });
    assert_eq!(env.revisions().len(), 2);
    let on_n2 = {
        let list = env
            .cluster
            .block_on(env.pods.list(&ListParams::default()))
            .expect("pods");
        list.items
            .into_iter()
            .find(|p| target_node(p.spec.as_ref().unwrap()) == Some("n2"))
            .and_then(|p| p.metadata.name)
            .expect("a pod on n2")
    };
    env.cluster
        .block_on(env.pods.delete(&on_n2, &DeleteParams::default()))
        .expect("delete the pod on n2");
    env.wait_status("n2 updated", |s| {
        s.updated_number_scheduled == Some(1) && s.number_available == Some(3)
    });
    let images: BTreeMap<String, String> = env
        .pods_by_node()
        .into_iter()
        .map(|(node, pods)| (node, pods[0].0.clone()))
        .collect();
    assert_eq!(
        images,
        BTreeMap::from([
            ("n1".to_owned(), "agent:1".to_owned()),
            ("n2".to_owned(), "agent:2".to_owned()),
            ("n3".to_owned(), "agent:1".to_owned()),
        ])
    );
}

#[test]
fn step4_daemonset_a_revision_name_taken_by_other_data_bumps_the_collision_count() {
    let env = start_without_controller();
    env.create(&agent("agent:1", &json!({"type": "RollingUpdate"})));
    // The name the first revision would get (the DaemonSet as the server stored it, defaults
    // and all) is taken by a revision holding something else.
    let ds = env
        .cluster
        .block_on(env.daemonsets.get("agent"))
        .expect("the DaemonSet");
    let data = revision_data(&ds);
    let taken: ControllerRevision = serde_json::from_value(json!({
        "metadata": {"name": format!("agent-{}", data_hash(&data, Some(0)))},
        "data": {"something": "else"},
        "revision": 1,
    }))
    .unwrap();
    let revisions = Api::<ControllerRevision>::namespaced(env.cluster.client.clone(), "default");
    env.cluster
        .block_on(revisions.create(&PostParams::default(), &taken))
        .expect("create the colliding revision");

    env.cluster.start_controllers(&["daemonset"]);
    let status = env.wait_rolled_out();
    assert_eq!(status.collision_count, Some(1));
    let hash = data_hash(&data, Some(1));
    assert!(
        env.revisions().contains(&(1, hash.clone())),
        "{:?}",
        env.revisions()
    );
    for pods in env.pods_by_node().values() {
        assert_eq!(pods[0].2, hash);
    }
}
