//! Step 4 against the real lab-02 apiserver: the StatefulSet controller starts pods in
//! order, gives each its claim, brings a deleted pod back with the same name and claim, and
//! rolls a partitioned update out.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim, Pod};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use lab_03::hollow::{self, HollowConfig, HollowNodes};

use crate::fake_kubelet::FakeKubelet;
use crate::support::Cluster;

/// The StatefulSet `web`: `replicas` pods of `image`, a `data` claim each, behind `nginx`.
pub(crate) fn web(replicas: i32, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": image,
                          "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": "1Gi"}}}
            }]
        }
    })
}

pub(crate) struct Env {
    pub(crate) cluster: Cluster,
    pub(crate) sets: Api<StatefulSet>,
    pub(crate) pods: Api<Pod>,
    pub(crate) claims: Api<PersistentVolumeClaim>,
}

/// lab-02 with the StatefulSet controller, and the fake kubelet when `kubelet`.
pub(crate) fn start(kubelet: bool) -> Env {
    let cluster = Cluster::start();
    if kubelet {
        FakeKubelet::start(&cluster, "default");
    }
    cluster.start_controllers(&["statefulset"]);
    Env {
        sets: Api::namespaced(cluster.client.clone(), "default"),
        pods: Api::namespaced(cluster.client.clone(), "default"),
        claims: Api::namespaced(cluster.client.clone(), "default"),
        cluster,
    }
}

/// lab-02 with the StatefulSet controller and two hollow nodes (step 8's kubelets over a
/// runtime with state only) that run the pods bound to them: [`on_node`] binds the template.
pub(crate) fn start_hollow() -> (Env, HollowNodes) {
    let cluster = Cluster::start();
    let mut config = HollowConfig::new(2);
    config.ready_after = Duration::from_millis(100);
    config.tick = Duration::from_millis(50);
    let client = cluster.client.clone();
    let nodes = cluster
        .block_on(async move { hollow::start(&client, &config) })
        .expect("hollow nodes start");
    cluster.start_controllers(&["statefulset"]);
    let env = Env {
        sets: Api::namespaced(cluster.client.clone(), "default"),
        pods: Api::namespaced(cluster.client.clone(), "default"),
        claims: Api::namespaced(cluster.client.clone(), "default"),
        cluster,
    };
    (env, nodes)
}

/// The StatefulSet with its pods bound to `node` (there is no scheduler in this lab).
pub(crate) fn on_node(mut set: Value, node: &str) -> Value {
    set["spec"]["template"]["spec"]["nodeName"] = json!(node);
    set
}

impl Env {
    pub(crate) fn create(&self, set: &Value) {
        let set: StatefulSet = serde_json::from_value(set.clone()).expect("a StatefulSet");
        self.cluster
            .block_on(self.sets.create(&PostParams::default(), &set))
            .expect("create the StatefulSet");
    }

    pub(crate) fn patch(&self, patch: &Value) {
        self.cluster
            .block_on(
                self.sets
                    .patch("web", &PatchParams::default(), &Patch::Merge(patch)),
            )
            .expect("patch the StatefulSet");
    }

    /// The pods (not being deleted) by name.
    pub(crate) fn pods(&self) -> BTreeMap<String, Pod> {
        let list = self
            .cluster
            .block_on(self.pods.list(&ListParams::default()))
            .expect("pods");
        list.items
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .map(|p| (p.metadata.name.clone().unwrap_or_default(), p))
            .collect()
    }

    /// The claims' names.
    pub(crate) fn claim_names(&self) -> Vec<String> {
        let list = self
            .cluster
            .block_on(self.claims.list(&ListParams::default()))
            .expect("claims");
        list.items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect()
    }

    /// Waits until the pods are exactly `names`.
    pub(crate) fn wait_pods(&self, names: &[&str]) -> BTreeMap<String, Pod> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        self.cluster.wait_for(&format!("pods {names:?}"), || {
            let pods = self.pods();
            let done = pods.keys().cloned().collect::<Vec<_>>() == names;
            async move { done.then_some(pods) }
        })
    }

    /// Marks the pod Running and Ready, as a kubelet would.
    pub(crate) fn ready(&self, name: &str) {
        let status = json!({"status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True",
                            "lastTransitionTime": "2024-01-01T00:00:00Z"}]
        }});
        self.cluster
            .block_on(
                self.pods
                    .patch_status(name, &PatchParams::default(), &Patch::Merge(status)),
            )
            .expect("ready the pod");
    }

    /// Waits until the status says every pod is ready and of the template now, and returns
    /// the StatefulSet.
    pub(crate) fn wait_rolled_out(&self) -> StatefulSet {
        self.cluster
            .wait_for("the StatefulSet to be rolled out", || {
                let sets = self.sets.clone();
                async move {
                    let set = sets.get("web").await.ok()?;
                    let replicas = set.spec.as_ref()?.replicas?;
                    let status = set.status.clone()?;
                    let done = status.observed_generation >= set.metadata.generation
                        && status.replicas == replicas
                        && status.ready_replicas == Some(replicas)
                        && status.updated_replicas == Some(replicas)
                        && status.current_revision == status.update_revision;
                    done.then_some(set)
                }
            })
    }
}

pub(crate) fn image(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.as_deref())
        .unwrap_or_default()
}

fn claim_of(pod: &Pod) -> Option<String> {
    let volumes = pod.spec.as_ref()?.volumes.as_ref()?;
    let volume = volumes.iter().find(|v| v.name == "data")?;
    Some(volume.persistent_volume_claim.as_ref()?.claim_name.clone())
}

#[test]
fn step4_statefulset_starts_web_1_only_after_web_0_is_ready_each_with_its_claim() {
    let env = start(false);
    env.create(&web(3, "nginx:1.25"));
    let pods = env.wait_pods(&["web-0"]);
    assert_eq!(claim_of(&pods["web-0"]).as_deref(), Some("data-web-0"));
    assert_eq!(env.claim_names(), ["data-web-0"]);
    // The sync that created web-0 and the ones its events caused saw it Pending: no web-1.
    env.cluster.wait_for("a status with one replica", || {
        let sets = env.sets.clone();
        async move {
            let status = sets.get("web").await.ok()?.status?;
            (status.replicas == 1).then_some(())
        }
    });
    assert_eq!(env.pods().len(), 1);

    env.ready("web-0");
    let pods = env.wait_pods(&["web-0", "web-1"]);
    assert_eq!(claim_of(&pods["web-1"]).as_deref(), Some("data-web-1"));
    env.ready("web-1");
    env.wait_pods(&["web-0", "web-1", "web-2"]);
    env.ready("web-2");
    let set = env.wait_rolled_out();
    let status = set.status.unwrap();
    assert_eq!(status.available_replicas, Some(3));
    assert_eq!(
        env.claim_names(),
        ["data-web-0", "data-web-1", "data-web-2"]
    );
    // What `kubectl describe sts web` shows under Events.
    let events: Api<Event> = Api::namespaced(env.cluster.client.clone(), "default");
    let messages = env.cluster.wait_for("the creation events", || {
        let events = events.clone();
        async move {
            let list = events.list(&ListParams::default()).await.ok()?;
            let mut messages: Vec<String> = list
                .items
                .into_iter()
                .filter(|e| e.reason.as_deref() == Some("SuccessfulCreate"))
                .filter_map(|e| e.message)
                .collect();
            messages.sort();
            (messages.len() == 6).then_some(messages)
        }
    });
    assert_eq!(
        messages[..2],
        [
            "create Claim data-web-0 Pod web-0 in StatefulSet web success",
            "create Claim data-web-1 Pod web-1 in StatefulSet web success",
        ]
    );
    assert_eq!(
        messages[3],
        "create Pod web-0 in StatefulSet web successful"
    );
}

#[test]
fn step4_statefulset_deleted_pod_comes_back_with_the_same_name_and_claim() {
    let env = start(true);
    env.create(&web(2, "nginx:1.25"));
    env.wait_rolled_out();
    let claims_before = env.claim_names();
    let old = env.pods()["web-1"].metadata.uid.clone();
    env.cluster
        .block_on(env.pods.delete("web-1", &DeleteParams::default()))
        .expect("delete web-1");
    let back = env.cluster.wait_for("web-1 to come back", || {
        let pods = env.pods();
        let back = pods
            .get("web-1")
            .filter(|p| p.metadata.uid != old && lab_03::pods::is_ready(p))
            .cloned();
        async move { back }
    });
    assert_eq!(claim_of(&back).as_deref(), Some("data-web-1"));
    assert_eq!(
        back.spec.as_ref().and_then(|s| s.hostname.as_deref()),
        Some("web-1")
    );
    assert_eq!(env.claim_names(), claims_before);
}

#[test]
fn step4_statefulset_scales_down_to_web_0_and_keeps_every_claim() {
    let env = start(true);
    env.create(&web(3, "nginx:1.25"));
    env.wait_rolled_out();
    env.patch(&json!({"spec": {"replicas": 1}}));
    env.wait_pods(&["web-0"]);
    env.wait_rolled_out();
    assert_eq!(
        env.claim_names(),
        ["data-web-0", "data-web-1", "data-web-2"]
    );
    // Scaled up again, web-1 gets its old claim back.
    env.patch(&json!({"spec": {"replicas": 2}}));
    let pods = env.wait_pods(&["web-0", "web-1"]);
    assert_eq!(claim_of(&pods["web-1"]).as_deref(), Some("data-web-1"));
    assert_eq!(env.claim_names().len(), 3);
}

#[test]
fn step4_statefulset_partition_canary_then_full_rolling_update() {
    let env = start(true);
    let mut set = web(3, "nginx:1.25");
    set["spec"]["updateStrategy"] =
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}});
    env.create(&set);
    let first = env.wait_rolled_out();
    let first_revision = first.status.unwrap().current_revision.unwrap();

    let image_patch = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.26",
         "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}}}});
    env.patch(&image_patch);
    let canary = env.cluster.wait_for("the canary web-2", || {
        let sets = env.sets.clone();
        async move {
            let set = sets.get("web").await.ok()?;
            let status = set.status.clone()?;
            let done = status.observed_generation >= set.metadata.generation
                && status.updated_replicas == Some(1)
                && status.ready_replicas == Some(3);
            done.then_some(status)
        }
    });
    assert_eq!(
        canary.current_revision.as_deref(),
        Some(first_revision.as_str())
    );
    let pods = env.pods();
    let images: Vec<&str> = pods.values().map(image).collect();
    assert_eq!(images, ["nginx:1.25", "nginx:1.25", "nginx:1.26"]);

    env.patch(&json!({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}));
    let done = env.wait_rolled_out();
    let status = done.status.unwrap();
    assert_eq!(status.current_revision, canary.update_revision);
    let pods = env.pods();
    assert!(pods.values().all(|p| image(p) == "nginx:1.26"), "{pods:?}");
    assert!(pods.values().all(|p| {
        p.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("controller-revision-hash"))
            == status.update_revision.as_ref()
    }));
}
