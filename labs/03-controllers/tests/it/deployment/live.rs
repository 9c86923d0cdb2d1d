//! Step 3 against the real lab-02 apiserver: the controller-manager runs the ReplicaSet and
//! Deployment controllers in-process, a fake kubelet readies the pods, and the tests watch
//! the rollouts through the API.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use labkit::FakeClock;
use serde_json::json;

use crate::fake_kubelet::FakeKubelet;
use crate::support::Cluster;

pub(crate) fn web(name: &str, replicas: i32, image: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]}
            }
        }
    }))
    .expect("a Deployment")
}

pub(crate) struct Env {
    pub(crate) cluster: Cluster,
    pub(crate) deployments: Api<Deployment>,
    pub(crate) replicasets: Api<ReplicaSet>,
    pub(crate) pods: Api<Pod>,
    pub(crate) kubelet: FakeKubelet,
}

pub(crate) fn start() -> Env {
    let env = start_without_controllers();
    env.cluster.start_controllers(&["deployment", "replicaset"]);
    env
}

pub(crate) fn start_without_controllers() -> Env {
    let cluster = Cluster::start();
    let kubelet = FakeKubelet::start(&cluster, "default");
    Env {
        deployments: Api::namespaced(cluster.client.clone(), "default"),
        replicasets: Api::namespaced(cluster.client.clone(), "default"),
        pods: Api::namespaced(cluster.client.clone(), "default"),
        cluster,
        kubelet,
    }
}

impl Env {
    pub(crate) fn create(&self, deployment: &Deployment) {
        self.cluster
            .block_on(self.deployments.create(&PostParams::default(), deployment))
            .expect("create the Deployment");
    }

    pub(crate) fn patch(&self, name: &str, patch: serde_json::Value) {
        self.cluster
            .block_on(
                self.deployments
                    .patch(name, &PatchParams::default(), &Patch::Merge(patch)),
            )
            .expect("patch the Deployment");
    }

    pub(crate) fn get(&self, name: &str) -> Deployment {
        self.cluster
            .block_on(self.deployments.get(name))
            .expect("the Deployment")
    }

    /// The ReplicaSets by name.
    pub(crate) fn replica_sets(&self) -> BTreeMap<String, ReplicaSet> {
        let list = self
            .cluster
            .block_on(self.replicasets.list(&ListParams::default()))
            .expect("ReplicaSets");
        list.items
            .into_iter()
            .map(|rs| (rs.metadata.name.clone().unwrap_or_default(), rs))
            .collect()
    }

    /// The images of the pods not being deleted, sorted.
    pub(crate) fn pod_images(&self) -> Vec<String> {
        let list = self
            .cluster
            .block_on(self.pods.list(&ListParams::default()))
            .expect("pods");
        let mut images: Vec<String> = list
            .items
            .iter()
            .filter(|pod| pod.metadata.deletion_timestamp.is_none())
            .filter_map(|pod| pod.spec.as_ref()?.containers.first()?.image.clone())
            .collect();
        images.sort();
        images
    }

    /// Waits until the Deployment's rollout is complete as `kubectl rollout status` decides
    /// it, and returns the Deployment.
    pub(crate) fn wait_complete(&self, name: &str) -> Deployment {
        self.cluster
            .wait_for(&format!("the rollout of {name} to complete"), || {
                let api = self.deployments.clone();
                let name = name.to_owned();
                async move {
                    let d = api.get(&name).await.ok()?;
                    let status = d.status.clone()?;
                    let replicas = d.spec.as_ref()?.replicas?;
                    let done = status.observed_generation >= d.metadata.generation
                        && status.updated_replicas == Some(replicas)
                        && status.replicas == Some(replicas)
                        && status.available_replicas == Some(replicas)
                        && condition_reason(&d, "Progressing").as_deref()
                            == Some("NewReplicaSetAvailable");
                    done.then_some(d)
                }
            })
    }
}

pub(crate) fn condition_reason(d: &Deployment, type_: &str) -> Option<String> {
    d.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)?
        .reason
        .clone()
}

/// Moves the fake clock past the progress deadline and pokes the Deployment (the controller's
/// own re-check waits real time) until the controller reports `ProgressDeadlineExceeded`. A
/// sync already under way when the clock moves can still see progress (its cached Deployment
/// may lag its own last status write) and restart the deadline: then the clock moves again.
pub(crate) fn pass_the_deadline(
    env: &Env,
    clock: &FakeClock,
    name: &str,
    deadline: Duration,
) -> Deployment {
    let mut pokes = 0;
    env.cluster
        .wait_for("Progressing ProgressDeadlineExceeded", || {
            let d = env.get(name);
            let exceeded =
                condition_reason(&d, "Progressing").as_deref() == Some("ProgressDeadlineExceeded");
            if !exceeded {
                clock.advance(deadline + Duration::from_secs(1));
                pokes += 1;
                env.patch(
                    name,
                    json!({"metadata": {"annotations": {"poke": pokes.to_string()}}}),
                );
            }
            async move { exceeded.then_some(d) }
        })
}

fn annotation(rs: &ReplicaSet, key: &str) -> Option<String> {
    rs.metadata.annotations.as_ref()?.get(key).cloned()
}

#[test]
fn step3_deployment_creates_a_hashed_replica_set_and_reports_available() {
    let env = start();
    env.create(&web("web", 3, "nginx:1.25"));
    let d = env.wait_complete("web");
    assert_eq!(
        condition_reason(&d, "Available").as_deref(),
        Some("MinimumReplicasAvailable")
    );
    assert_eq!(d.status.as_ref().and_then(|s| s.ready_replicas), Some(3));
    // A sync that ran before the cache showed the new ReplicaSet must not take it for a hash
    // collision.
    assert_eq!(d.status.as_ref().and_then(|s| s.collision_count), None);
    let annotations = d.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        annotations
            .get("deployment.kubernetes.io/revision")
            .map(String::as_str),
        Some("1")
    );

    let rss = env.replica_sets();
    assert_eq!(rss.len(), 1, "{:?}", rss.keys());
    let (name, rs) = rss.into_iter().next().expect("one ReplicaSet");
    let labels = rs.metadata.labels.clone().unwrap_or_default();
    let hash = labels
        .get("pod-template-hash")
        .expect("a pod-template-hash label");
    assert_eq!(name, format!("web-{hash}"));
    let selector = rs
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.clone())
        .unwrap_or_default();
    assert_eq!(selector.get("pod-template-hash"), Some(hash));
    let owner = lab_03::pods::controller_of(&rs.metadata).expect("an owner");
    assert_eq!(
        (owner.kind.as_str(), Some(&owner.uid)),
        ("Deployment", d.metadata.uid.as_ref())
    );
    assert_eq!(
        annotation(&rs, "deployment.kubernetes.io/revision").as_deref(),
        Some("1")
    );
    assert_eq!(
        annotation(&rs, "deployment.kubernetes.io/desired-replicas").as_deref(),
        Some("3")
    );
    assert_eq!(
        annotation(&rs, "deployment.kubernetes.io/max-replicas").as_deref(),
        Some("4")
    );
    assert_eq!(env.pod_images(), ["nginx:1.25"; 3]);
}

#[test]
fn step3_rolling_update_replaces_every_pod_and_keeps_the_old_replica_set_at_zero() {
    let env = start();
    env.create(&web("web", 3, "nginx:1.25"));
    env.wait_complete("web");
    env.patch(
        "web",
        json!({"metadata": {"annotations": {"kubernetes.io/change-cause": "to 1.26"}},
               "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}}}),
    );
    let d = env.wait_complete("web");
    assert_eq!(
        d.status.as_ref().and_then(|s| s.observed_generation),
        Some(2)
    );
    let rss = env.replica_sets();
    assert_eq!(rss.len(), 2);
    let by_revision: BTreeMap<String, &ReplicaSet> = rss
        .values()
        .map(|rs| {
            (
                annotation(rs, "deployment.kubernetes.io/revision").unwrap_or_default(),
                rs,
            )
        })
        .collect();
    let old = by_revision.get("1").expect("revision 1");
    let new = by_revision.get("2").expect("revision 2");
    assert_eq!(old.spec.as_ref().and_then(|s| s.replicas), Some(0));
    assert_eq!(new.spec.as_ref().and_then(|s| s.replicas), Some(3));
    assert_eq!(
        annotation(new, "kubernetes.io/change-cause").as_deref(),
        Some("to 1.26")
    );
    env.cluster.wait_for("only new pods", || {
        let images = env.pod_images();
        async move { (images == ["nginx:1.26"; 3]).then_some(()) }
    });
}

#[test]
fn step3_recreate_stops_old_pods_before_new_ones_start() {
    let env = start();
    let mut d = web("db", 2, "postgres:15");
    if let Some(spec) = d.spec.as_mut() {
        spec.strategy = serde_json::from_value(json!({"type": "Recreate"})).ok();
    }
    env.create(&d);
    env.wait_complete("db");
    env.patch("db", json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "postgres:16"}]}}}}));
    // Never both versions at once: sample while the rollout runs.
    let mut mixed = false;
    env.cluster.wait_for("only postgres:16 pods", || {
        let images = env.pod_images();
        mixed |=
            images.iter().any(|i| i == "postgres:15") && images.iter().any(|i| i == "postgres:16");
        async move { (images == ["postgres:16"; 2]).then_some(()) }
    });
    assert!(!mixed, "old and new pods ran together");
    env.wait_complete("db");
}

#[test]
fn step3_revision_history_limit_deletes_the_oldest_replica_sets() {
    let env = start();
    let mut d = web("web", 1, "nginx:1.0");
    if let Some(spec) = d.spec.as_mut() {
        spec.revision_history_limit = Some(1);
    }
    env.create(&d);
    env.wait_complete("web");
    for version in ["nginx:2.0", "nginx:3.0"] {
        env.patch("web", json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": version}]}}}}));
        env.wait_complete("web");
    }
    // Revision 3 runs; of the two old ones only the newest (2) is kept.
    env.cluster
        .wait_for("two ReplicaSets, revisions 2 and 3", || {
            let revisions: Vec<String> = env
                .replica_sets()
                .values()
                .filter_map(|rs| annotation(rs, "deployment.kubernetes.io/revision"))
                .collect();
            async move {
                let mut revisions = revisions;
                revisions.sort();
                (revisions == ["2", "3"]).then_some(())
            }
        });
}

#[test]
fn step3_paused_deployment_waits_for_resume_to_roll_out() {
    let env = start();
    env.create(&web("web", 2, "nginx:1.25"));
    env.wait_complete("web");
    env.patch("web", json!({"spec": {"paused": true}}));
    env.cluster.wait_for("Progressing DeploymentPaused", || {
        let api = env.deployments.clone();
        async move {
            let d = api.get("web").await.ok()?;
            (condition_reason(&d, "Progressing").as_deref() == Some("DeploymentPaused"))
                .then_some(())
        }
    });
    env.patch("web", json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}}}));
    // A paused Deployment still observes the change, but starts no new ReplicaSet.
    env.cluster.wait_for("generation 3 observed", || {
        let api = env.deployments.clone();
        async move {
            let d = api.get("web").await.ok()?;
            (d.status?.observed_generation == Some(3)).then_some(())
        }
    });
    assert_eq!(env.replica_sets().len(), 1);
    // Scaling works while paused.
    env.patch("web", json!({"spec": {"replicas": 3}}));
    env.cluster.wait_for("3 old pods", || {
        let images = env.pod_images();
        async move { (images == ["nginx:1.25"; 3]).then_some(()) }
    });
    env.patch("web", json!({"spec": {"paused": false}}));
    env.wait_complete("web");
    assert_eq!(env.pod_images(), ["nginx:1.26"; 3]);
}

#[test]
fn step3_progress_deadline_exceeded_on_a_fake_clock() {
    let env = start_without_controllers();
    env.kubelet.pause();
    let clock = FakeClock::default();
    env.cluster
        .start_controllers_with_clock(&["deployment", "replicaset"], Arc::new(clock.clone()));
    let mut d = web("stuck", 2, "nginx:does-not-start");
    if let Some(spec) = d.spec.as_mut() {
        spec.progress_deadline_seconds = Some(30);
    }
    env.create(&d);
    // The pods exist but never become ready: 2 updated, 0 available.
    env.cluster.wait_for("2 updated replicas", || {
        let api = env.deployments.clone();
        async move {
            let d = api.get("stuck").await.ok()?;
            let status = d.status?;
            (status.updated_replicas == Some(2) && status.replicas == Some(2)).then_some(())
        }
    });
    let d = env.get("stuck");
    assert_eq!(
        condition_reason(&d, "Available").as_deref(),
        Some("MinimumReplicasUnavailable")
    );
    assert_ne!(
        condition_reason(&d, "Progressing").as_deref(),
        Some("ProgressDeadlineExceeded")
    );
    let d = pass_the_deadline(&env, &clock, "stuck", Duration::from_secs(30));
    let condition = d.status.and_then(|s| s.conditions).unwrap_or_default();
    let progressing = condition
        .iter()
        .find(|c| c.type_ == "Progressing")
        .expect("Progressing");
    assert_eq!(progressing.status, "False");
    assert!(
        progressing
            .message
            .as_deref()
            .unwrap_or_default()
            .ends_with("has timed out progressing.")
    );
    // Pods that become ready make progress again.
    env.kubelet.resume();
    env.wait_complete("stuck");
}

#[test]
fn step3_deployment_adopts_a_matching_orphan_replica_set() {
    let env = start_without_controllers();
    let d = web("web", 2, "nginx:1.25");
    // The ReplicaSet this Deployment would make, without an owner (a Deployment deleted with
    // --cascade=orphan, then created again).
    let mut rs = lab_03::deployment::hash::new_replica_set(&d, 2);
    rs.metadata.owner_references = None;
    let name = rs.metadata.name.clone().expect("name");
    env.cluster
        .block_on(env.replicasets.create(&PostParams::default(), &rs))
        .expect("create the orphan");
    env.cluster.start_controllers(&["deployment", "replicaset"]);
    env.create(&d);
    let d = env.wait_complete("web");
    let rss = env.replica_sets();
    assert_eq!(rss.keys().collect::<Vec<_>>(), [&name]);
    let owner = lab_03::pods::controller_of(&rss[&name].metadata)
        .cloned()
        .expect("adopted");
    assert_eq!(Some(owner.uid), d.metadata.uid);
}

/// The `spec.replicas` of the ReplicaSets, oldest revision first.
fn sizes_by_revision(env: &Env) -> Vec<(String, i32)> {
    let mut sizes: Vec<(String, i32)> = env
        .replica_sets()
        .values()
        .map(|rs| {
            (
                annotation(rs, "deployment.kubernetes.io/revision").unwrap_or_default(),
                rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0),
            )
        })
        .collect();
    sizes.sort();
    sizes
}

#[test]
fn step3_scaling_mid_rollout_grows_old_and_new_in_proportion() {
    let env = start();
    let mut d = web("web", 10, "nginx:1.25");
    if let Some(spec) = d.spec.as_mut() {
        spec.strategy =
            serde_json::from_value(json!({"rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}))
                .ok();
    }
    env.create(&d);
    env.wait_complete("web");
    // New pods never become ready: the rollout stops at 8 old + 5 new (13 = 10 + surge 3,
    // 8 available = 10 - 2).
    env.kubelet.pause();
    env.patch("web", json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}}}));
    env.cluster.wait_for("8 old and 5 new", || {
        let sizes = sizes_by_revision(&env);
        async move { (sizes == [("1".to_owned(), 8), ("2".to_owned(), 5)]).then_some(()) }
    });
    // 15 replicas: 18 allowed, 5 more, shared 8 * 18/13 = 11 and 5 * 18/13 = 7.
    env.patch("web", json!({"spec": {"replicas": 15}}));
    env.cluster.wait_for("11 old and 7 new", || {
        let sizes = sizes_by_revision(&env);
        async move { (sizes == [("1".to_owned(), 11), ("2".to_owned(), 7)]).then_some(()) }
    });
    env.kubelet.resume();
    env.wait_complete("web");
    assert_eq!(
        sizes_by_revision(&env),
        [("1".to_owned(), 0), ("2".to_owned(), 15)]
    );
}
