//! Step 4 against lab-02, over a StatefulSet's life: its revision history is truncated to
//! `revisionHistoryLimit`, and a StatefulSet deleted with `--cascade=orphan` and created again
//! adopts the pods it left.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::Api;
use kube::api::{DeleteParams, ListParams};
use serde_json::json;

use super::live::{image, start, web};

#[test]
fn step4_statefulset_keeps_revision_history_limit_old_revisions() {
    let env = start(true);
    let mut set = web(2, "nginx:1.25");
    set["spec"]["revisionHistoryLimit"] = json!(1);
    env.create(&set);
    env.wait_rolled_out();
    for image in ["nginx:1.26", "nginx:1.27", "nginx:1.28"] {
        env.patch(&json!({"spec": {"template": {"spec": {"containers": [
            {"name": "nginx", "image": image,
             "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}}}}));
        env.wait_rolled_out();
    }
    let revisions: Api<ControllerRevision> = Api::namespaced(env.cluster.client.clone(), "default");
    // The live revision and one more: the oldest two are gone.
    let numbers = env.cluster.wait_for("the history to be truncated", || {
        let revisions = revisions.clone();
        async move {
            let list = revisions.list(&ListParams::default()).await.ok()?;
            let mut numbers: Vec<i64> = list.items.iter().map(|r| r.revision).collect();
            numbers.sort_unstable();
            (numbers.len() == 2).then_some(numbers)
        }
    });
    assert_eq!(numbers, [3, 4]);
    assert!(env.pods().values().all(|p| image(p) == "nginx:1.28"));
}

#[test]
fn step4_statefulset_recreated_after_an_orphaning_delete_adopts_its_pods() {
    let env = start(true);
    env.create(&web(2, "nginx:1.25"));
    env.wait_rolled_out();
    let before: BTreeMap<String, Option<String>> = env
        .pods()
        .into_iter()
        .map(|(name, pod)| (name, pod.metadata.uid))
        .collect();
    // `kubectl delete sts web --cascade=orphan`: the pods stay, without an owner.
    env.cluster
        .block_on(env.sets.delete("web", &DeleteParams::orphan()))
        .expect("delete the StatefulSet, orphaning its pods");
    env.cluster.wait_for("the StatefulSet to be gone", || {
        let sets = env.sets.clone();
        async move { sets.get_opt("web").await.ok()?.is_none().then_some(()) }
    });
    env.cluster.wait_for("orphaned pods", || {
        let pods = env.pods();
        let orphans = pods.len() == 2
            && pods.values().all(|p| {
                p.metadata
                    .owner_references
                    .as_ref()
                    .is_none_or(Vec::is_empty)
            });
        async move { orphans.then_some(()) }
    });
    // The same StatefulSet again: it adopts web-0 and web-1 (same revision), no new pods.
    env.create(&web(2, "nginx:1.25"));
    env.wait_rolled_out();
    let pods = env.cluster.wait_for("adopted pods", || {
        let pods = env.pods();
        let adopted = pods.values().all(|p| {
            p.metadata
                .owner_references
                .as_ref()
                .is_some_and(|o| o.iter().any(|o| o.kind == "StatefulSet"))
        });
        async move { adopted.then_some(pods) }
    });
    let after: BTreeMap<String, Option<String>> = pods
        .into_iter()
        .map(|(name, pod)| (name, pod.metadata.uid))
        .collect();
    assert_eq!(after, before);
}
