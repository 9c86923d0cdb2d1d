//! Step 8: the real kubectl (1.33) drives Deployments whose pods run on hollow nodes.
//!
//! Everything of this lab at once, as a user meets it: lab 02 (no stopgap, so deletions are
//! finished by the garbage collector), the controller-manager with `deployment`,
//! `replicaset` and `garbagecollector`, three hollow nodes and the test binder. kubectl
//! creates a Deployment, watches its rollouts, updates, undoes and scales it, then deletes it
//! with `--cascade=foreground`. Where kubectl 1.33 is not installed the test says "not run".

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use lab_03::hollow::{self, HollowConfig};

use crate::support::{Cluster, ok};

/// The pods of `app=web` once there are `count`, all Running on hollow nodes: their images.
fn wait_running(cluster: &Cluster, count: usize) -> Vec<String> {
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    cluster.wait_for(&format!("{count} web pods Running on hollow nodes"), || {
        let pods = pods.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels("app=web"))
                .await
                .ok()?;
            let running = list.items.iter().all(|pod| {
                let on_hollow = pod
                    .spec
                    .as_ref()
                    .and_then(|s| s.node_name.as_deref())
                    .is_some_and(|n| n.starts_with("hollow-node-"));
                let status = pod.status.as_ref();
                on_hollow
                    && status.and_then(|s| s.phase.as_deref()) == Some("Running")
                    && status
                        .and_then(|s| s.pod_ip.as_deref())
                        .is_some_and(|ip| ip.starts_with("10.128."))
            });
            let mut images: Vec<String> = list
                .items
                .iter()
                .filter_map(|pod| pod.spec.as_ref()?.containers.first()?.image.clone())
                .collect();
            images.sort();
            (list.items.len() == count && running).then_some(images)
        }
    })
}

#[test]
fn step8_kubectl_rolls_out_undoes_scales_and_deletes_a_deployment_on_hollow_nodes() {
    let cluster = Cluster::start_without_stopgap();
    let (kubectl, _kubeconfig) = labkit::require!(cluster.kubectl(33));
    let run = |args: &[&str]| kubectl.run(args);

    let mut config = HollowConfig::new(3);
    config.ready_after = Duration::from_millis(200);
    config.tick = Duration::from_millis(50);
    let nodes = cluster
        .block_on({
            let client = cluster.client.clone();
            async move { hollow::start(&client, &config) }
        })
        .expect("hollow nodes start");
    cluster.start_controllers(&["deployment", "replicaset", "garbagecollector"]);
    cluster
        .runtime
        .spawn(super::binder::run(cluster.client.clone()));

    let timeout = crate::support::kubectl_timeout(60);

    let status = ["rollout", "status", "deployment/web", &timeout];
    let rolled_out = "deployment \"web\" successfully rolled out\n";
    let created = run(&[
        "create",
        "deployment",
        "web",
        "--image=busybox",
        "--replicas=3",
        "--",
        "httpd",
        "-f",
    ]);
    assert_eq!(ok(&created), "deployment.apps/web created\n");
    assert!(ok(&run(&status)).ends_with(rolled_out));
    assert_eq!(wait_running(&cluster, 3), ["busybox"; 3]);

    let set = run(&["set", "image", "deployment/web", "busybox=busybox:1.36"]);
    assert_eq!(ok(&set), "deployment.apps/web image updated\n");
    assert!(ok(&run(&status)).ends_with(rolled_out));
    assert_eq!(wait_running(&cluster, 3), ["busybox:1.36"; 3]);
    let history = run(&["rollout", "history", "deployment/web"]);
    let revisions: Vec<&str> = ok(&history)
        .lines()
        .skip(2)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(revisions, ["1", "2"], "{history:?}");

    assert_eq!(
        ok(&run(&["rollout", "undo", "deployment/web"])),
        "deployment.apps/web rolled back\n"
    );
    assert!(ok(&run(&status)).ends_with(rolled_out));
    assert_eq!(wait_running(&cluster, 3), ["busybox"; 3]);

    let scaled = run(&["scale", "deployment/web", "--replicas=5"]);
    assert_eq!(ok(&scaled), "deployment.apps/web scaled\n");
    assert!(ok(&run(&status)).ends_with(rolled_out));
    assert_eq!(wait_running(&cluster, 5), ["busybox"; 5]);

    // Foreground: kubectl returns once the Deployment is gone, after its ReplicaSets and
    // their pods.
    let deleted = run(&[
        "delete",
        "deployment",
        "web",
        "--cascade=foreground",
        &crate::support::kubectl_timeout(60),
    ]);
    assert_eq!(ok(&deleted), "deployment.apps \"web\" deleted\n");
    let replicasets: Api<ReplicaSet> = Api::namespaced(cluster.client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    cluster.wait_for("no ReplicaSet and no pod of web left", || {
        let replicasets = replicasets.clone();
        let pods = pods.clone();
        async move {
            let rs = replicasets.list(&ListParams::default()).await.ok()?;
            let left = pods
                .list(&ListParams::default().labels("app=web"))
                .await
                .ok()?;
            (rs.items.is_empty() && left.items.is_empty()).then_some(())
        }
    });
    cluster.block_on(nodes.stop());
}
