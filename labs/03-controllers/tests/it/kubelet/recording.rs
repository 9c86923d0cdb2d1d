//! A runtime for the kubelet's tests: it records what the kubelet asks, and answers at once
//! (Running and ready on start, finished on stop), so a test sees the kubelet's side only.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStatus, Pod, PodCondition, PodIP, PodStatus,
};
use lab_03::kubelet::{self, PodRuntime, RuntimeError, StatusReporter};

use crate::support::Cluster;

/// What the kubelet asked of the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    /// `start_pod` of `namespace/name` with this UID.
    Start { key: String, uid: String },
    /// `stop_pod` of this UID.
    Stop { uid: String },
}

#[derive(Default)]
pub(crate) struct RecordingRuntime {
    calls: Mutex<Vec<Call>>,
    reporters: Mutex<Vec<(StatusReporter, PodStatus)>>,
}

/// The status of a pod that runs, ready, at 10.244.0.`n`.
fn running(pod: &Pod, n: usize) -> PodStatus {
    let containers = pod
        .spec
        .as_ref()
        .map(|spec| spec.containers.clone())
        .unwrap_or_default();
    let ip = format!("10.244.0.{n}");
    PodStatus {
        phase: Some("Running".to_owned()),
        pod_ip: Some(ip.clone()),
        pod_ips: Some(vec![PodIP { ip }]),
        conditions: Some(vec![PodCondition {
            type_: "Ready".to_owned(),
            status: "True".to_owned(),
            ..PodCondition::default()
        }]),
        container_statuses: Some(
            containers
                .iter()
                .map(|container| ContainerStatus {
                    name: container.name.clone(),
                    image: container.image.clone().unwrap_or_default(),
                    ready: true,
                    state: Some(ContainerState {
                        running: Some(ContainerStateRunning::default()),
                        ..ContainerState::default()
                    }),
                    ..ContainerStatus::default()
                })
                .collect(),
        ),
        ..PodStatus::default()
    }
}

impl PodRuntime for RecordingRuntime {
    fn start_pod(&self, pod: &Pod, reporter: StatusReporter) -> Result<(), RuntimeError> {
        let key = format!(
            "{}/{}",
            pod.metadata.namespace.as_deref().unwrap_or_default(),
            pod.metadata.name.as_deref().unwrap_or_default()
        );
        let mut calls = self.calls.lock().expect("calls");
        calls.push(Call::Start {
            key,
            uid: reporter.uid().to_owned(),
        });
        let status = running(pod, calls.len());
        drop(calls);
        reporter.status(status.clone());
        self.reporters
            .lock()
            .expect("reporters")
            .push((reporter, status));
        Ok(())
    }

    fn stop_pod(&self, uid: &str, _grace: Duration) {
        self.calls.lock().expect("calls").push(Call::Stop {
            uid: uid.to_owned(),
        });
        let reporters = self.reporters.lock().expect("reporters");
        if let Some((reporter, status)) =
            reporters.iter().find(|(reporter, _)| reporter.uid() == uid)
        {
            let mut status = status.clone();
            status.phase = Some("Succeeded".to_owned());
            reporter.finished(status);
        }
    }
}

impl RecordingRuntime {
    /// Every call so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls").clone()
    }
}

/// The node name the kubelet tests use.
pub(crate) const NODE: &str = "node1";

/// A kubelet config for `NODE` on `cluster`, with quick ticks.
pub(crate) fn config(cluster: &Cluster) -> kubelet::Config {
    let mut config = kubelet::Config::new(cluster.client.clone(), NODE);
    config.node_ip = "192.168.50.11".parse().expect("an address");
    config.kubelet_port = 10255;
    config.tick = Duration::from_millis(20);
    config.file_check_frequency = Duration::from_millis(50);
    config
}

/// Starts a kubelet with `config` and a recording runtime; it stops with the cluster.
pub(crate) fn start_kubelet(cluster: &Cluster, config: kubelet::Config) -> Arc<RecordingRuntime> {
    let runtime = Arc::new(RecordingRuntime::default());
    let stopped = cluster.stopped();
    cluster
        .runtime
        .spawn(kubelet::run(config, runtime.clone(), stopped));
    runtime
}
