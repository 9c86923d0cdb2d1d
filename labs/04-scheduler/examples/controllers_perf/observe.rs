//! What the bench sees through watches (lab-03's informer): when each pod appeared, ran and
//! became Ready, and how many writes (watch events) pods, ReplicaSets and Deployments had.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use lab_03::informer::{Cache, Change, Informer};
use tokio::sync::watch;

/// When the watch first saw one pod in each state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PodSeen {
    pub(crate) added: Instant,
    /// When `spec.nodeName` was first seen set (the scheduler's binding).
    pub(crate) bound: Option<Instant>,
    pub(crate) running: Option<Instant>,
    pub(crate) ready: Option<Instant>,
}

/// Watches of pods, ReplicaSets and Deployments in one namespace.
pub(crate) struct Observer {
    pods: Arc<Mutex<HashMap<String, PodSeen>>>,
    /// Every watch event on the three kinds: each is one write the apiserver made.
    writes: Arc<AtomicUsize>,
    /// The Deployments as the watch last saw them.
    pub(crate) deployments: Cache<Deployment>,
    stop: watch::Sender<bool>,
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|status| status.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
}

fn record(pods: &Mutex<HashMap<String, PodSeen>>, change: &Change<Pod>) {
    let now = Instant::now();
    let mut pods = pods.lock().unwrap_or_else(PoisonError::into_inner);
    let pod = match change {
        Change::Deleted(pod) => {
            pods.remove(pod.metadata.name.as_deref().unwrap_or_default());
            return;
        }
        Change::Added(pod) | Change::Updated { new: pod, .. } => pod,
    };
    let seen = pods
        .entry(pod.metadata.name.clone().unwrap_or_default())
        .or_insert(PodSeen {
            added: now,
            bound: None,
            running: None,
            ready: None,
        });
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    let node = pod.spec.as_ref().and_then(|spec| spec.node_name.as_ref());
    if seen.bound.is_none() && node.is_some() {
        seen.bound = Some(now);
    }
    if seen.running.is_none() && phase == Some("Running") {
        seen.running = Some(now);
    }
    if seen.ready.is_none() && is_ready(pod) {
        seen.ready = Some(now);
    }
}

async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Counts every change of `informer` in `writes`, and runs it until `stop`.
fn spawn_counted<K>(
    mut informer: Informer<K, Api<K>>,
    writes: &Arc<AtomicUsize>,
    stop: &watch::Sender<bool>,
) where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let counter = writes.clone();
    informer.on_change(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    tokio::spawn(informer.run(until(stop.subscribe())));
}

impl Observer {
    /// Starts the watches on `namespace` and waits until each has listed.
    pub(crate) async fn start(client: &Client, namespace: &str) -> Result<Observer> {
        let (stop, _) = watch::channel(false);
        let writes = Arc::new(AtomicUsize::new(0));
        let pods = Arc::new(Mutex::new(HashMap::new()));

        let mut pod_informer = Informer::new(Api::<Pod>::namespaced(client.clone(), namespace));
        let (seen, counter) = (pods.clone(), writes.clone());
        pod_informer.on_change(move |change| {
            counter.fetch_add(1, Ordering::Relaxed);
            record(&seen, change);
        });
        let pod_cache = pod_informer.cache();
        tokio::spawn(pod_informer.run(until(stop.subscribe())));

        let rs_informer = Informer::new(Api::<ReplicaSet>::namespaced(client.clone(), namespace));
        let rs_cache = rs_informer.cache();
        spawn_counted(rs_informer, &writes, &stop);
        let deployment_informer =
            Informer::new(Api::<Deployment>::namespaced(client.clone(), namespace));
        let deployments = deployment_informer.cache();
        spawn_counted(deployment_informer, &writes, &stop);

        let observer = Observer {
            pods,
            writes,
            deployments,
            stop,
        };
        let synced = || pod_cache.has_synced() && rs_cache.has_synced();
        observer
            .wait("the watches to list", Duration::from_secs(30), || {
                synced().then_some(())
            })
            .await?;
        observer.deployments_synced().await?;
        Ok(observer)
    }

    async fn deployments_synced(&self) -> Result<()> {
        self.wait(
            "the Deployment watch to list",
            Duration::from_secs(30),
            || self.deployments.has_synced().then_some(()),
        )
        .await
    }

    /// The writes (watch events) seen so far.
    pub(crate) fn writes(&self) -> usize {
        self.writes.load(Ordering::Relaxed)
    }

    /// A copy of what was seen of every existing pod.
    pub(crate) fn pods(&self) -> Vec<PodSeen> {
        self.pods
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .copied()
            .collect()
    }

    /// Polls `check` every 10 ms until it gives `Some`, failing after `timeout`.
    pub(crate) async fn wait<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut() -> Option<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = check() {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("timed out after {timeout:?} waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
