//! The hollow runtime: a [`PodRuntime`] with state only (kubemark's fake runtime). A pod is
//! Running the moment it starts, Ready after a set delay, and its containers exit when their
//! command says so ([`super::patterns`]); no process, no network, no image.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, Pod, PodCondition, PodIP, PodStatus,
};
use tokio::sync::oneshot;

use super::patterns::{Exit, HollowState, after_exit, exit_of, pod_phase};
use crate::kubelet::{PodRuntime, RuntimeError, StatusReporter};
use crate::pods::to_time;

/// A hollow node's runtime: one per node, for its pod IPs.
#[derive(Debug)]
pub struct HollowRuntime {
    ready_after: Duration,
    /// The node's fake pod network: a /24 whose addresses .1 to .254 are handed out in turn.
    pod_network: Ipv4Addr,
    next_ip: AtomicU32,
    /// The stop signal of each running pod, by UID.
    running: Running,
    handle: tokio::runtime::Handle,
}

/// The stop signals of the running pods, by UID.
type Running = Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>;

/// One container as the hollow runtime tracks it.
#[derive(Debug, Clone)]
struct HollowContainer {
    name: String,
    image: String,
    exit: Option<Exit>,
    state: HollowState,
}

impl HollowRuntime {
    /// A runtime whose pods become ready `ready_after` after they start, with pod IPs from the
    /// /24 network `pod_network`. Must be created inside a tokio runtime (pods' timers run on
    /// it).
    pub fn new(ready_after: Duration, pod_network: Ipv4Addr) -> Result<Self, RuntimeError> {
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|error| RuntimeError(format!("no tokio runtime: {error}")))?;
        Ok(HollowRuntime {
            ready_after,
            pod_network,
            next_ip: AtomicU32::new(0),
            running: Arc::new(Mutex::new(HashMap::new())),
            handle,
        })
    }

    /// How many pods run now.
    pub fn running_pods(&self) -> usize {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn next_pod_ip(&self) -> Ipv4Addr {
        let host = self.next_ip.fetch_add(1, Ordering::Relaxed) % 254 + 1;
        Ipv4Addr::from(u32::from(self.pod_network) & 0xffff_ff00 | host)
    }
}

impl PodRuntime for HollowRuntime {
    fn start_pod(&self, pod: &Pod, reporter: StatusReporter) -> Result<(), RuntimeError> {
        let spec = pod.spec.clone().unwrap_or_default();
        let restart_policy = spec
            .restart_policy
            .clone()
            .unwrap_or_else(|| "Always".to_owned());
        let containers: Vec<HollowContainer> = spec
            .containers
            .iter()
            .map(|container| HollowContainer {
                name: container.name.clone(),
                image: container.image.clone().unwrap_or_default(),
                exit: exit_of(container),
                state: HollowState::Running,
            })
            .collect();
        let ip = if spec.host_network == Some(true) {
            None
        } else {
            Some(self.next_pod_ip().to_string())
        };
        let (stop, stopped) = oneshot::channel();
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(reporter.uid().to_owned(), stop);
        let life = PodLife {
            uid: reporter.uid().to_owned(),
            running: self.running.clone(),
            started: SystemTime::now(),
            ip,
            restart_policy,
            containers,
            ready_since: None,
        };
        let ready_after = self.ready_after;
        self.handle.spawn(life.run(ready_after, reporter, stopped));
        Ok(())
    }

    fn stop_pod(&self, uid: &str, _grace: Duration) {
        // A hollow container exits at once on SIGTERM: no grace period to wait.
        let stop = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uid);
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    }
}

/// One hollow pod from start to finish.
struct PodLife {
    uid: String,
    running: Running,
    started: SystemTime,
    ip: Option<String>,
    restart_policy: String,
    containers: Vec<HollowContainer>,
    ready_since: Option<SystemTime>,
}

impl PodLife {
    /// Reports Running, then each change (ready, an exit) at its time, until the pod ends on
    /// its own or is stopped.
    async fn run(
        mut self,
        ready_after: Duration,
        reporter: StatusReporter,
        mut stopped: oneshot::Receiver<()>,
    ) {
        let start = tokio::time::Instant::now();
        reporter.status(self.status());
        let mut events: Vec<Duration> = self
            .containers
            .iter()
            .filter_map(|container| container.exit.map(|exit| exit.after))
            .chain([ready_after])
            .collect();
        events.sort();
        events.dedup();
        let mut stop_received = false;
        for at in events {
            tokio::select! {
                _ = &mut stopped => {
                    stop_received = true;
                    break;
                }
                () = tokio::time::sleep_until(start + at) => {}
            }
            self.advance(at, ready_after);
            let status = self.status();
            if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
                self.running
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&self.uid);
                reporter.finished(status);
                return;
            }
            reporter.status(status);
        }
        // Runs until stopped (a closed channel: the runtime is gone, so stop too). A receiver
        // that already completed must not be polled again.
        if !stop_received {
            let _ = stopped.await;
        }
        for container in &mut self.containers {
            if container.state == HollowState::Running {
                container.state = HollowState::Exited(0);
            }
        }
        reporter.finished(self.status());
    }

    /// The states at `elapsed` after the start.
    fn advance(&mut self, elapsed: Duration, ready_after: Duration) {
        for container in &mut self.containers {
            if let (HollowState::Running, Some(exit)) = (container.state, container.exit)
                && exit.after <= elapsed
            {
                container.state = after_exit(&self.restart_policy, exit.code);
            }
        }
        if elapsed >= ready_after && self.ready_since.is_none() {
            self.ready_since = Some(SystemTime::now());
        }
    }

    fn status(&self) -> PodStatus {
        let states: Vec<HollowState> = self
            .containers
            .iter()
            .map(|container| container.state)
            .collect();
        let phase = pod_phase(&states);
        let ready =
            self.ready_since.is_some() && states.iter().all(|state| *state == HollowState::Running);
        let started = to_time(self.started);
        let ready_time = to_time(self.ready_since.unwrap_or(self.started));
        let condition = |type_: &str, status: bool, time| PodCondition {
            type_: type_.to_owned(),
            status: if status { "True" } else { "False" }.to_owned(),
            last_transition_time: Some(time),
            ..PodCondition::default()
        };
        PodStatus {
            phase: Some(phase.to_owned()),
            conditions: Some(vec![
                condition("PodReadyToStartContainers", true, started.clone()),
                condition("Initialized", true, started.clone()),
                condition("Ready", ready, ready_time.clone()),
                condition("ContainersReady", ready, ready_time),
                condition("PodScheduled", true, started.clone()),
            ]),
            pod_ip: self.ip.clone(),
            pod_ips: self.ip.clone().map(|ip| vec![PodIP { ip }]),
            start_time: Some(started),
            container_statuses: Some(
                self.containers
                    .iter()
                    .map(|container| self.container_status(container, ready))
                    .collect(),
            ),
            qos_class: Some("BestEffort".to_owned()),
            ..PodStatus::default()
        }
    }

    fn container_status(&self, container: &HollowContainer, ready: bool) -> ContainerStatus {
        let started = to_time(self.started);
        let terminated = |code: i32| ContainerStateTerminated {
            exit_code: code,
            reason: Some(if code == 0 { "Completed" } else { "Error" }.to_owned()),
            started_at: Some(started.clone()),
            finished_at: Some(started.clone()),
            ..ContainerStateTerminated::default()
        };
        let (state, last_state, restarts) = match container.state {
            HollowState::Running => (
                ContainerState {
                    running: Some(ContainerStateRunning {
                        started_at: Some(started.clone()),
                    }),
                    ..ContainerState::default()
                },
                None,
                0,
            ),
            HollowState::Exited(code) => (
                ContainerState {
                    terminated: Some(terminated(code)),
                    ..ContainerState::default()
                },
                None,
                0,
            ),
            HollowState::BackOff(code) => (
                ContainerState {
                    waiting: Some(ContainerStateWaiting {
                        reason: Some("CrashLoopBackOff".to_owned()),
                        message: Some(format!(
                            "back-off 10s restarting failed container={}",
                            container.name
                        )),
                    }),
                    ..ContainerState::default()
                },
                Some(ContainerState {
                    terminated: Some(terminated(code)),
                    ..ContainerState::default()
                }),
                1,
            ),
        };
        ContainerStatus {
            name: container.name.clone(),
            image: container.image.clone(),
            image_id: format!("hollow://{}", container.image),
            container_id: Some(format!("hollow://{}", container.name)),
            ready: ready && container.state == HollowState::Running,
            started: Some(container.state == HollowState::Running),
            restart_count: restarts,
            state: Some(state),
            last_state,
            ..ContainerStatus::default()
        }
    }
}
