//! Step 6 against the real lab-02 apiserver: controller-managers with `--leader-elect`
//! compete for the Lease `kube-system/kube-controller-manager`. Short times (a 2 s lease,
//! renewed every 100 ms) keep the tests to a few seconds.

use std::time::{Duration, SystemTime};

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, PostParams};
use lab_03::leaderelection::ElectionConfig;
use lab_03::leaderelection::decide::micro_time;
use lab_03::manager::{Config, ManagerError};
use serde_json::json;

use crate::support::Cluster;

/// A manager that runs the ReplicaSet controller only while it leads, as `identity`.
fn candidate(cluster: &Cluster, identity: &str) -> Config {
    let mut config = cluster.config();
    config.controllers = vec!["replicaset".to_owned()];
    config.leader_election = Some(ElectionConfig {
        lease_duration: Duration::from_secs(2),
        renew_deadline: Duration::from_millis(1500),
        retry_period: Duration::from_millis(100),
        ..ElectionConfig::new(identity)
    });
    config
}

fn leases(cluster: &Cluster) -> Api<Lease> {
    Api::namespaced(cluster.client.clone(), "kube-system")
}

/// Waits until the leader Lease satisfies `check`, and returns its spec.
fn wait_for_lease(cluster: &Cluster, what: &str, check: impl Fn(&LeaseSpec) -> bool) -> LeaseSpec {
    let leases = leases(cluster);
    cluster.wait_for(what, || {
        let leases = leases.clone();
        let check = &check;
        async move {
            let spec = leases.get("kube-controller-manager").await.ok()?.spec?;
            check(&spec).then_some(spec)
        }
    })
}

fn holder(spec: &LeaseSpec) -> &str {
    spec.holder_identity.as_deref().unwrap_or_default()
}

#[test]
fn step6_two_managers_elect_one_leader_and_the_other_takes_over_when_it_dies() {
    let cluster = Cluster::start();
    // Manager A on a runtime of its own: shutting that runtime down kills A and every task
    // it started, as the death of its process would, without releasing the Lease.
    let runtime_a = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime_a.spawn(lab_03::manager::run(
        candidate(&cluster, "manager-a"),
        std::future::pending(),
    ));
    let first = wait_for_lease(&cluster, "manager-a leads", |spec| {
        holder(spec) == "manager-a"
    });
    assert_eq!(first.lease_duration_seconds, Some(2));
    assert_eq!(first.lease_transitions, Some(0));

    let stopped = cluster.stopped();
    cluster.runtime.spawn(lab_03::manager::run(
        candidate(&cluster, "manager-b"),
        stopped,
    ));
    // For more than a lease duration of renewals by A, B must wait.
    let b_started = micro_time(SystemTime::now() + Duration::from_millis(2500));
    let renewed = wait_for_lease(&cluster, "A renewing for 2.5 s", |spec| {
        holder(spec) != "manager-a" || spec.renew_time.as_ref().is_some_and(|t| t.0 >= b_started.0)
    });
    assert_eq!(
        holder(&renewed),
        "manager-a",
        "B took a valid lease: {renewed:?}"
    );
    assert_eq!(renewed.lease_transitions, Some(0));

    runtime_a.shutdown_background();
    let taken = wait_for_lease(&cluster, "manager-b leads", |spec| {
        holder(spec) == "manager-b"
    });
    assert_eq!(taken.lease_transitions, Some(1));

    // B runs the controllers now.
    let rs: ReplicaSet = serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}
    }))
    .unwrap();
    cluster
        .block_on(
            Api::<ReplicaSet>::namespaced(cluster.client.clone(), "default")
                .create(&PostParams::default(), &rs),
        )
        .expect("create the ReplicaSet");
    let pods = Api::<Pod>::namespaced(cluster.client.clone(), "default");
    cluster.wait_for("2 pods created by the new leader", || {
        let pods = pods.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels("app=web"))
                .await
                .ok()?;
            (list.items.len() == 2).then_some(())
        }
    });
}

#[test]
fn step6_a_leader_that_stops_cleanly_releases_the_lease() {
    let cluster = Cluster::start();
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let manager = cluster.runtime.spawn(lab_03::manager::run(
        candidate(&cluster, "manager-a"),
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        },
    ));
    wait_for_lease(&cluster, "manager-a leads", |spec| {
        holder(spec) == "manager-a"
    });
    stop.send(true).unwrap();
    cluster
        .block_on(manager)
        .unwrap()
        .expect("a clean stop is not an error");
    let released = wait_for_lease(&cluster, "the lease released", |spec| {
        holder(spec).is_empty()
    });
    assert_eq!(released.lease_duration_seconds, Some(1));
}

#[test]
fn step6_a_leader_that_cannot_renew_gives_up_leadership() {
    let cluster = Cluster::start();
    let manager = cluster.runtime.spawn(lab_03::manager::run(
        candidate(&cluster, "manager-a"),
        std::future::pending(),
    ));
    let lease_api = leases(&cluster);
    wait_for_lease(&cluster, "manager-a leads", |spec| {
        holder(spec) == "manager-a"
    });
    // Someone else takes the Lease (as after a network partition that outlasted the lease):
    // A's renewals now find a valid lease of another holder, and its deadline passes.
    let mut lease = cluster
        .block_on(lease_api.get("kube-controller-manager"))
        .unwrap();
    let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
    spec.holder_identity = Some("intruder".to_owned());
    spec.lease_duration_seconds = Some(60);
    spec.renew_time = Some(micro_time(SystemTime::now()));
    cluster
        .block_on(lease_api.replace("kube-controller-manager", &PostParams::default(), &lease))
        .expect("take the lease");
    cluster.wait_for("manager-a to give up", || {
        let finished = manager.is_finished();
        async move { finished.then_some(()) }
    });
    let outcome = cluster.block_on(manager).unwrap();
    assert!(
        matches!(outcome, Err(ManagerError::LeaderElectionLost)),
        "{outcome:?}"
    );
}
