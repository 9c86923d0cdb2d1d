//! Step 7: static pods from a manifest directory, and their mirror pods in the API.

use std::path::Path;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::DeleteParams;

use super::recording::{Call, NODE, config, start_kubelet};
use crate::support::Cluster;

const MANIFEST: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: kube-system
  labels: {tier: control-plane}
spec:
  containers:
  - name: web
    image: nginx:1.25
";

const MIRROR: &str = "web-node1";

fn annotation<'a>(pod: &'a Pod, name: &str) -> Option<&'a str> {
    pod.metadata
        .annotations
        .as_ref()?
        .get(name)
        .map(String::as_str)
}

fn write(dir: &Path, text: &str) {
    std::fs::write(dir.join("web.yaml"), text).expect("write the manifest");
}

/// Waits for a mirror pod other than the one with UID `not`, Running.
fn wait_mirror(cluster: &Cluster, pods: &Api<Pod>, not: Option<&str>) -> Pod {
    cluster.wait_for("a running mirror pod", || {
        let pods = pods.clone();
        let not = not.map(str::to_owned);
        async move {
            let pod = pods.get_opt(MIRROR).await.ok().flatten()?;
            let running = pod.status.as_ref()?.phase.as_deref() == Some("Running");
            let new = pod.metadata.uid != not;
            (running && new && pod.metadata.deletion_timestamp.is_none()).then_some(pod)
        }
    })
}

#[test]
fn step7_static_pod_runs_with_a_mirror_pod_that_comes_back_when_deleted() {
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().expect("a temporary directory");
    write(dir.path(), MANIFEST);
    let mut config = config(&cluster);
    config.pod_manifest_path = Some(dir.path().to_owned());
    let runtime = start_kubelet(&cluster, config);
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "kube-system");

    let mirror = wait_mirror(&cluster, &pods, None);
    let hash = annotation(&mirror, "kubernetes.io/config.hash").expect("a config hash");
    assert_eq!(
        annotation(&mirror, "kubernetes.io/config.mirror"),
        Some(hash)
    );
    assert_eq!(
        annotation(&mirror, "kubernetes.io/config.source"),
        Some("file")
    );
    let spec = mirror.spec.clone().unwrap_or_default();
    assert_eq!(spec.node_name.as_deref(), Some(NODE));
    let node = cluster
        .block_on(Api::<Node>::all(cluster.client.clone()).get(NODE))
        .expect("the node");
    let owners = mirror.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(
        (owners[0].kind.as_str(), owners[0].uid.as_str()),
        ("Node", node.metadata.uid.as_deref().unwrap_or_default())
    );
    // The runtime runs the file's pod (its UID is the hash), not the mirror.
    assert_eq!(
        runtime.calls(),
        [Call::Start {
            key: format!("kube-system/{MIRROR}"),
            uid: hash.to_owned()
        }]
    );

    let first_uid = mirror.metadata.uid.clone().unwrap_or_default();
    cluster
        .block_on(pods.delete(MIRROR, &DeleteParams::default()))
        .expect("delete the mirror pod");
    let again = wait_mirror(&cluster, &pods, Some(&first_uid));
    assert_eq!(
        annotation(&again, "kubernetes.io/config.mirror"),
        Some(hash)
    );
    assert_eq!(
        runtime.calls().len(),
        1,
        "the static pod itself kept running: {:?}",
        runtime.calls()
    );
}

#[test]
fn step7_changed_manifest_replaces_the_static_pod_and_a_removed_one_stops_it() {
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().expect("a temporary directory");
    write(dir.path(), MANIFEST);
    let mut config = config(&cluster);
    config.pod_manifest_path = Some(dir.path().to_owned());
    let runtime = start_kubelet(&cluster, config);
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "kube-system");
    let mirror = wait_mirror(&cluster, &pods, None);
    let old_hash = annotation(&mirror, "kubernetes.io/config.hash")
        .unwrap_or_default()
        .to_owned();

    write(dir.path(), &MANIFEST.replace("nginx:1.25", "nginx:1.26"));
    let replaced = wait_mirror(&cluster, &pods, mirror.metadata.uid.as_deref());
    let new_hash = annotation(&replaced, "kubernetes.io/config.mirror")
        .unwrap_or_default()
        .to_owned();
    assert_ne!(new_hash, old_hash);
    let image = replaced
        .spec
        .as_ref()
        .and_then(|spec| spec.containers[0].image.clone());
    assert_eq!(image.as_deref(), Some("nginx:1.26"));
    let calls = runtime.calls();
    assert!(
        calls.contains(&Call::Stop {
            uid: old_hash.clone()
        }),
        "{calls:?}"
    );
    assert!(
        calls.contains(&Call::Start {
            key: format!("kube-system/{MIRROR}"),
            uid: new_hash.clone()
        }),
        "{calls:?}"
    );

    std::fs::remove_file(dir.path().join("web.yaml")).expect("remove the manifest");
    cluster.wait_for("the mirror pod to go", || {
        let pods = pods.clone();
        async move {
            pods.get_opt(MIRROR)
                .await
                .ok()
                .flatten()
                .is_none()
                .then_some(())
        }
    });
    assert!(
        runtime.calls().contains(&Call::Stop { uid: new_hash }),
        "{:?}",
        runtime.calls()
    );
}
