//! Step 2 against the real lab-02 apiserver: the controller-manager runs the ReplicaSet
//! controller in-process and the tests watch what it does through the API.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::Cluster;

fn replica_set(name: &str, replicas: i32) -> ReplicaSet {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}
            }
        }
    }))
    .expect("a ReplicaSet")
}

fn orphan(name: &str, app: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}
    }))
    .expect("a Pod")
}

struct Env {
    cluster: Cluster,
    pods: Api<Pod>,
    replicasets: Api<ReplicaSet>,
}

fn start() -> Env {
    let env = start_without_controllers();
    env.cluster.start_controllers(&["replicaset"]);
    env
}

/// The apiserver alone: a test creates what must be there before the controllers start.
fn start_without_controllers() -> Env {
    let cluster = Cluster::start();
    let pods = Api::namespaced(cluster.client.clone(), "default");
    let replicasets = Api::namespaced(cluster.client.clone(), "default");
    Env {
        cluster,
        pods,
        replicasets,
    }
}

impl Env {
    /// The active pods whose controller is the ReplicaSet `name`, by name.
    fn owned_pods(&self, name: &str) -> BTreeMap<String, Pod> {
        let rs = self
            .cluster
            .block_on(self.replicasets.get(name))
            .expect("the ReplicaSet");
        let pods = self
            .cluster
            .block_on(self.pods.list(&ListParams::default()))
            .expect("pods");
        pods.items
            .into_iter()
            .filter(|pod| pod.metadata.deletion_timestamp.is_none())
            .filter(|pod| {
                lab_03::pods::controller_of(&pod.metadata)
                    .is_some_and(|owner| Some(&owner.uid) == rs.metadata.uid.as_ref())
            })
            .map(|pod| (pod.metadata.name.clone().unwrap_or_default(), pod))
            .collect()
    }

    fn wait_for_owned(&self, name: &str, count: usize) -> BTreeMap<String, Pod> {
        self.cluster
            .wait_for(&format!("{count} pods owned by {name}"), || {
                let owned = self.owned_pods(name);
                async move { (owned.len() == count).then_some(owned) }
            })
    }

    fn create(&self, rs: &ReplicaSet) {
        self.cluster
            .block_on(self.replicasets.create(&PostParams::default(), rs))
            .expect("create the ReplicaSet");
    }

    fn status(&self, name: &str) -> k8s_openapi::api::apps::v1::ReplicaSetStatus {
        let rs = self
            .cluster
            .block_on(self.replicasets.get(name))
            .expect("the ReplicaSet");
        rs.status.unwrap_or_default()
    }
}

#[test]
fn step2_replicaset_creates_owned_pods_then_scales_down_and_reports_status() {
    let env = start();
    env.create(&replica_set("web", 3));
    let pods = env.wait_for_owned("web", 3);
    for pod in pods.values() {
        assert!(
            pod.metadata
                .name
                .as_deref()
                .unwrap_or_default()
                .starts_with("web-")
        );
        let owner = lab_03::pods::controller_of(&pod.metadata).expect("a controller");
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str()),
            ("ReplicaSet", "web")
        );
        assert_eq!(owner.block_owner_deletion, Some(true));
    }
    env.cluster.wait_for("status.replicas 3 at generation 1", || {
        let status = env.status("web");
        async move { (status.replicas == 3 && status.observed_generation == Some(1)).then_some(()) }
    });
    let status = env.status("web");
    assert_eq!(
        (status.ready_replicas, status.available_replicas),
        (Some(0), Some(0))
    );

    let scale = json!({"spec": {"replicas": 1}});
    env.cluster
        .block_on(
            env.replicasets
                .patch("web", &PatchParams::default(), &Patch::Merge(scale)),
        )
        .expect("scale down");
    env.wait_for_owned("web", 1);
    env.cluster.wait_for("status.replicas 1 at generation 2", || {
        let status = env.status("web");
        async move { (status.replicas == 1 && status.observed_generation == Some(2)).then_some(()) }
    });
    // Nothing more happens: the count stays right.
    assert_eq!(env.owned_pods("web").len(), 1);
}

#[test]
fn step2_replicaset_replaces_deleted_pods() {
    let env = start();
    env.create(&replica_set("api", 2));
    let before = env.wait_for_owned("api", 2);
    let victim = before.keys().next().expect("a pod").clone();
    env.cluster
        .block_on(env.pods.delete(&victim, &DeleteParams::default()))
        .expect("delete a pod");
    let after = env.cluster.wait_for("a replacement pod", || {
        let owned = env.owned_pods("api");
        let victim = victim.clone();
        async move { (owned.len() == 2 && !owned.contains_key(&victim)).then_some(owned) }
    });
    assert_eq!(after.len(), 2);
}

#[test]
fn step2_replicaset_adopts_matching_orphans_and_releases_relabeled_pods() {
    // The orphans exist before the controller starts, so its first list has them: a pod
    // created just before its ReplicaSet may reach the pod cache after the ReplicaSet's sync
    // (two watches, no order between them), and then the sync creates pods instead.
    let env = start_without_controllers();
    for name in ["orphan-1", "orphan-2"] {
        env.cluster
            .block_on(
                env.pods
                    .create(&PostParams::default(), &orphan(name, "shop")),
            )
            .expect("create an orphan");
    }
    env.cluster
        .block_on(
            env.pods
                .create(&PostParams::default(), &orphan("bystander", "other")),
        )
        .expect("create a pod of another app");
    env.cluster.start_controllers(&["replicaset"]);
    env.create(&replica_set("shop", 3));
    let owned = env.wait_for_owned("shop", 3);
    assert!(
        owned.contains_key("orphan-1") && owned.contains_key("orphan-2"),
        "{:?}",
        owned.keys()
    );
    let bystander = env
        .cluster
        .block_on(env.pods.get("bystander"))
        .expect("bystander");
    assert!(
        bystander.metadata.owner_references.is_none(),
        "adopted a pod that does not match"
    );

    // Relabel one: it is released (no longer owned) and replaced.
    let relabel = json!({"metadata": {"labels": {"app": "debugging"}}});
    env.cluster
        .block_on(
            env.pods
                .patch("orphan-1", &PatchParams::default(), &Patch::Merge(relabel)),
        )
        .expect("relabel a pod");
    let owned = env.cluster.wait_for("a release and a replacement", || {
        let owned = env.owned_pods("shop");
        async move { (owned.len() == 3 && !owned.contains_key("orphan-1")).then_some(owned) }
    });
    assert!(owned.contains_key("orphan-2"));
    env.cluster
        .wait_for("orphan-1 without owner reference", || {
            let pod = env.cluster.runtime.block_on(env.pods.get("orphan-1"));
            async move {
                let pod = pod.ok()?;
                lab_03::pods::controller_of(&pod.metadata)
                    .is_none()
                    .then_some(())
            }
        });
}

#[test]
fn step2_replicaset_counts_ready_pods_in_its_status() {
    let env = start();
    env.create(&replica_set("db", 2));
    let pods = env.wait_for_owned("db", 2);
    let name = pods.keys().next().expect("a pod").clone();
    // What a kubelet would report: Running and Ready.
    let status = json!({"status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}]
    }});
    env.cluster
        .block_on(
            env.pods
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(status)),
        )
        .expect("mark a pod ready");
    env.cluster
        .wait_for("readyReplicas 1, availableReplicas 1", || {
            let status = env.status("db");
            async move {
                (status.ready_replicas == Some(1) && status.available_replicas == Some(1))
                    .then_some(())
            }
        });
}
