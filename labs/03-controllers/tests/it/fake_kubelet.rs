//! A stand-in for the kubelet (step 7 builds the real loop): marks every pod of a namespace
//! `Running` and `Ready` with a pod IP, through `pods/status` as a kubelet would, so
//! ReplicaSets count available pods and rollouts move on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::json;

use crate::support::Cluster;

/// How often the fake kubelet looks for new pods (a kubelet's sync loop, much shortened).
const PERIOD: Duration = Duration::from_millis(25);

/// A running fake kubelet; `pause` stops it from readying more pods (pods it readied stay
/// ready).
#[derive(Clone)]
pub(crate) struct FakeKubelet {
    running: Arc<AtomicBool>,
    /// Passes of the loop finished so far (paused ones too): `pause` waits for the pass in
    /// flight, which may have seen "running" before the pause, to end.
    passes: Arc<AtomicU64>,
}

impl FakeKubelet {
    /// Starts readying the pods of `namespace` on the cluster's runtime.
    pub(crate) fn start(cluster: &Cluster, namespace: &str) -> FakeKubelet {
        let running = Arc::new(AtomicBool::new(true));
        let passes = Arc::new(AtomicU64::new(0));
        let kubelet = FakeKubelet {
            running: running.clone(),
            passes: passes.clone(),
        };
        let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), namespace);
        let stopped = cluster.stopped();
        cluster.runtime.spawn(async move {
            tokio::select! {
                () = stopped => {}
                () = ready_pods(pods, running, passes) => {}
            }
        });
        kubelet
    }

    /// Stops readying pods; returns once no pass that started before the pause is running.
    pub(crate) fn pause(&self) {
        self.running.store(false, Ordering::SeqCst);
        let seen = self.passes.load(Ordering::SeqCst);
        labkit::poll_until(
            Duration::from_secs(30),
            "the fake kubelet's pass to end",
            || (self.passes.load(Ordering::SeqCst) >= seen + 2).then_some(()),
        );
    }

    /// Readies pods again.
    pub(crate) fn resume(&self) {
        self.running.store(true, Ordering::SeqCst);
    }
}

async fn ready_pods(pods: Api<Pod>, running: Arc<AtomicBool>, passes: Arc<AtomicU64>) {
    let mut ticks = tokio::time::interval(PERIOD);
    let mut next_ip = 2_u32;
    loop {
        ticks.tick().await;
        ready_once(&pods, &running, &mut next_ip).await;
        passes.fetch_add(1, Ordering::SeqCst);
    }
}

/// One pass: readies every pod not ready yet, unless paused.
async fn ready_once(pods: &Api<Pod>, running: &AtomicBool, next_ip: &mut u32) {
    if !running.load(Ordering::SeqCst) {
        return;
    }
    let Ok(list) = pods.list(&ListParams::default()).await else {
        return;
    };
    for pod in list.items {
        if pod.metadata.deletion_timestamp.is_some() || lab_03::pods::is_ready(&pod) {
            continue;
        }
        let name = pod.metadata.name.clone().unwrap_or_default();
        let ip = format!("10.244.{}.{}", *next_ip / 250, *next_ip % 250 + 2);
        *next_ip += 1;
        let status = json!({"status": {
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "hostIP": "10.0.0.1",
            "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}
            ]
        }});
        let _ = pods
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(status))
            .await;
    }
}
