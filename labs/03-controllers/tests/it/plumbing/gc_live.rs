//! Step 5: the garbage collector against lab-02 with its stopgap off, through the API and
//! through real kubectl's `--cascade`.

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Resource};
use serde_json::json;

use crate::support::Cluster;

fn config_map(cluster: &Cluster, name: &str) -> ConfigMap {
    let api: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "default");
    let object: ConfigMap = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}
    }))
    .expect("a ConfigMap");
    cluster
        .block_on(api.create(&PostParams::default(), &object))
        .expect("the owner is created")
}

/// A Secret owned by `owners` (blockOwnerDeletion set: foreground deletion waits for it).
fn dependent(cluster: &Cluster, name: &str, owners: &[&ConfigMap]) -> Secret {
    let owners: Vec<_> = owners
        .iter()
        .map(|owner| {
            json!({"apiVersion": "v1", "kind": "ConfigMap", "name": owner.metadata.name,
                   "uid": owner.metadata.uid, "blockOwnerDeletion": true})
        })
        .collect();
    let object: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "ownerReferences": owners}
    }))
    .expect("a Secret");
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), "default");
    cluster
        .block_on(api.create(&PostParams::default(), &object))
        .expect("the dependent is created")
}

fn gone<K>(cluster: &Cluster, api: &Api<K>, name: &str)
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    cluster.wait_for(&format!("{name} to be deleted"), || async {
        matches!(api.get_opt(name).await, Ok(None)).then_some(())
    });
}

#[test]
fn step5_gc_deletes_dependents_whose_owners_are_all_gone() {
    let cluster = Cluster::start_without_stopgap();
    cluster.start_controllers(&["garbagecollector"]);
    let owner = config_map(&cluster, "owner");
    let other = config_map(&cluster, "other");
    dependent(&cluster, "only-owner", &[&owner]);
    dependent(&cluster, "two-owners", &[&owner, &other]);
    let maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "default");
    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), "default");
    cluster
        .block_on(maps.delete("owner", &DeleteParams::background()))
        .expect("the owner is deleted");
    gone(&cluster, &secrets, "only-owner");
    // The other owner keeps its dependent alive; the dead reference is removed.
    let kept = cluster.wait_for("two-owners to lose its dead owner reference", || async {
        let secret = secrets.get("two-owners").await.ok()?;
        let owners = secret.metadata.owner_references.clone().unwrap_or_default();
        (owners.len() == 1).then_some(owners)
    });
    assert_eq!(kept[0].uid, other.metadata.uid.clone().expect("a uid"));
}

fn cascades_with_kubectl(minor: u32) {
    let cluster = Cluster::start_without_stopgap();
    let (kubectl, _file) = labkit::require!(cluster.kubectl(minor));
    cluster.start_controllers(&["garbagecollector"]);
    let maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "default");
    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), "default");

    // Foreground: kubectl waits until the owner is gone, and the dependent went first.
    let owner = config_map(&cluster, "fg");
    dependent(&cluster, "fg-dep", &[&owner]);
    let out = kubectl.run([
        "delete",
        "configmap",
        "fg",
        "--cascade=foreground",
        &crate::support::kubectl_timeout(30),
    ]);
    assert!(
        out.success,
        "kubectl delete --cascade=foreground: {}",
        out.stderr
    );
    assert!(out.stdout.contains("deleted"), "{}", out.stdout);
    gone(&cluster, &maps, "fg");
    gone(&cluster, &secrets, "fg-dep");

    // Orphan: the owner goes, the dependent stays without its reference.
    let owner = config_map(&cluster, "or");
    dependent(&cluster, "or-dep", &[&owner]);
    let out = kubectl.run([
        "delete",
        "configmap",
        "or",
        "--cascade=orphan",
        &crate::support::kubectl_timeout(30),
    ]);
    assert!(
        out.success,
        "kubectl delete --cascade=orphan: {}",
        out.stderr
    );
    gone(&cluster, &maps, "or");
    cluster.wait_for("or-dep to be orphaned", || async {
        let secret = secrets.get("or-dep").await.ok()?;
        secret
            .metadata
            .owner_references
            .is_none_or(|o| o.is_empty())
            .then_some(())
    });

    // Background: the owner goes at once, the collector deletes the dependent after.
    let owner = config_map(&cluster, "bg");
    dependent(&cluster, "bg-dep", &[&owner]);
    let out = kubectl.run(["delete", "configmap", "bg", "--cascade=background"]);
    assert!(
        out.success,
        "kubectl delete --cascade=background: {}",
        out.stderr
    );
    gone(&cluster, &secrets, "bg-dep");
}

#[test]
fn step5_gc_kubectl_1_33_delete_cascade_foreground_orphan_background() {
    cascades_with_kubectl(33);
}

#[test]
fn step5_gc_kubectl_1_27_delete_cascade_foreground_orphan_background() {
    cascades_with_kubectl(27);
}

#[test]
fn step5_gc_deleting_a_replicaset_deletes_its_pods() {
    use k8s_openapi::api::apps::v1::ReplicaSet;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::ListParams;

    let cluster = Cluster::start_without_stopgap();
    cluster.start_controllers(&["replicaset", "garbagecollector"]);
    let replicasets: Api<ReplicaSet> = Api::namespaced(cluster.client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    let rs: ReplicaSet = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}
    }))
    .expect("a ReplicaSet");
    cluster
        .block_on(replicasets.create(&PostParams::default(), &rs))
        .expect("the ReplicaSet is created");
    let by_app = ListParams::default().labels("app=web");
    cluster.wait_for("two pods of web", || async {
        let list = pods.list(&by_app).await.ok()?;
        (list.items.len() == 2).then_some(())
    });
    // Background (the default): the ReplicaSet goes at once, its pods after it.
    cluster
        .block_on(replicasets.delete("web", &DeleteParams::default()))
        .expect("the ReplicaSet is deleted");
    cluster.wait_for("the pods of web to be deleted", || async {
        let list = pods.list(&by_app).await.ok()?;
        list.items.is_empty().then_some(())
    });
}
