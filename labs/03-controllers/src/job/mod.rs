//! The Job controller: runs pods until enough of them succeed (upstream `pkg/controller/job`).
//!
//! ```text
//! Job informer ─┐                        ┌─ sync("default/pi"):
//! Pod informer ─┴─> queue of Job keys ──>│    its pods (owned, not deleting) from the cache
//!   (the pod's owner)                    │    decide_job: create, delete, status
//!                                        │    (crate::podcontrol: expectations first)
//!                                        │    write status; requeue at the active deadline
//!                                        └─
//! ```
//!
//! The decisions are pure ([`decide`]); this file is the loop.

pub mod decide;

use std::sync::Arc;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use labkit::Clock;
use serde_json::json;

use self::decide::{decide_job, new_pod};
use crate::expectations::Expectations;
use crate::informer::{Cache, Change, Informer, object_key, split_key};
use crate::podcontrol::{PodControlError, create_pods, delete_pods};
use crate::pods::{controlled_by, controller_of};
use crate::queue::WorkQueue;
use crate::runner::Tasks;

/// Upstream's default `--concurrent-job-syncs`.
pub const DEFAULT_WORKERS: usize = 5;

/// Why a sync failed (the key is retried with back-off).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Creating or deleting the Job's pods failed.
    #[error(transparent)]
    Pods(#[from] PodControlError),
    /// Writing the Job's status failed.
    #[error("updating the status of {key}: {source}")]
    Status {
        /// The Job's key.
        key: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
}

/// The controller's shared state. Clones share everything.
#[derive(Clone)]
struct JobController {
    client: Client,
    jobs: Cache<Job>,
    pods: Cache<Pod>,
    queue: Arc<WorkQueue>,
    expectations: Arc<Expectations>,
    clock: Arc<dyn Clock>,
}

/// Runs the Job controller until `shutdown` completes: informers on Jobs and Pods, and
/// `workers` workers once both caches have synced.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut job_informer = Informer::new(Api::<Job>::all(client.clone()));
    let mut pod_informer = Informer::new(Api::<Pod>::all(client.clone()));
    let controller = JobController {
        client,
        jobs: job_informer.cache(),
        pods: pod_informer.cache(),
        queue: Arc::new(WorkQueue::new(clock.clone())),
        expectations: Arc::new(Expectations::new(clock.clone())),
        clock,
    };
    let handler = controller.clone();
    job_informer.on_change(move |change| {
        let job = match change {
            Change::Added(job) | Change::Updated { new: job, .. } => job,
            Change::Deleted(job) => {
                handler.expectations.delete(&object_key(job.as_ref()));
                job
            }
        };
        handler.queue.add(&object_key(job.as_ref()));
    });
    let handler = controller.clone();
    pod_informer.on_change(move |change| handler.pod_changed(change));

    let mut tasks = Tasks::new();
    tasks.informer(job_informer);
    tasks.informer(pod_informer);
    let synced = controller.clone();
    let worker = controller.clone();
    tasks.workers(
        "job-controller",
        controller.queue.clone(),
        workers,
        move || synced.jobs.has_synced() && synced.pods.has_synced(),
        || {},
        move |key| {
            let controller = worker.clone();
            async move { controller.sync(&key).await }
        },
    );
    tasks.run_until(shutdown).await;
}

impl JobController {
    /// The key of the Job controlling `pod`, if any.
    fn owner_key(pod: &Pod) -> Option<String> {
        let owner = controller_of(&pod.metadata)?;
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        (owner.kind == "Job").then(|| format!("{namespace}/{}", owner.name))
    }

    /// A pod changed: its Job syncs; a new or deleted pod is an observed expectation.
    fn pod_changed(&self, change: &Change<Pod>) {
        match change {
            Change::Added(pod) => {
                if let Some(key) = Self::owner_key(pod) {
                    self.expectations.creation_observed(&key);
                    self.queue.add(&key);
                }
            }
            Change::Updated { new, .. } => {
                if let Some(key) = Self::owner_key(new) {
                    self.queue.add(&key);
                }
            }
            Change::Deleted(pod) => {
                if let Some(key) = Self::owner_key(pod) {
                    self.expectations.deletion_observed(&key);
                    self.queue.add(&key);
                }
            }
        }
    }

    /// One sync of the Job with this key.
    async fn sync(&self, key: &str) -> Result<(), SyncError> {
        let Some(job) = self.jobs.get(key) else {
            self.expectations.delete(key);
            return Ok(());
        };
        if !self.expectations.satisfied(key) || job.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
        let (namespace, _) = split_key(key);
        let namespace = namespace.unwrap_or_default();
        let uid = job.metadata.uid.as_deref().unwrap_or_default();
        let pods = controlled_by(self.pods.list_namespace(namespace), uid);
        let decision = decide_job(&job, &pods, self.clock.wall());
        delete_pods(&self.client, &self.expectations, key, &decision.delete).await?;
        let new_pods = vec![new_pod(&job); decision.create];
        create_pods(&self.client, &self.expectations, key, &new_pods).await?;
        if job.status.as_ref() != Some(&decision.status) {
            let name = job.metadata.name.as_deref().unwrap_or_default();
            let patch = Patch::Merge(json!({ "status": decision.status }));
            match Api::<Job>::namespaced(self.client.clone(), namespace)
                .patch_status(name, &PatchParams::default(), &patch)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(source) => {
                    return Err(SyncError::Status {
                        key: key.to_owned(),
                        source,
                    });
                }
            }
        }
        if let Some(after) = decision.requeue_after {
            self.queue.add_after(key, after);
        }
        Ok(())
    }
}
