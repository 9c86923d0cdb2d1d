//! The CronJob controller: creates Jobs on a cron schedule (upstream
//! `pkg/controller/cronjob`, the v2 controller).
//!
//! A CronJob key is synced when the CronJob or one of its Jobs changes, and again at its next
//! scheduled time (the queue's `add_after`): time passing is the event that matters most. The
//! decisions are pure ([`schedule`], [`decide`]); this file is the loop. Not here (yet):
//! `spec.timeZone` (schedules are UTC) and the warning after more than 100 missed schedules.

pub mod decide;
pub mod schedule;

use std::sync::Arc;

use k8s_openapi::api::batch::v1::{CronJob, Job};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::{Api, Client};
use labkit::Clock;
use serde_json::json;

use self::decide::decide_cron_job;
use crate::informer::{Cache, Change, Informer, object_key, split_key};
use crate::pods::controller_of;
use crate::queue::WorkQueue;
use crate::request::{RequestError, request_failed};
use crate::runner::Tasks;

/// Upstream's default `--concurrent-cron-job-syncs`.
pub const DEFAULT_WORKERS: usize = 5;

/// Why a sync failed (retried with back-off).
pub type SyncError = RequestError;

/// The controller's shared state. Clones share everything.
#[derive(Clone)]
struct CronJobController {
    client: Client,
    cron_jobs: Cache<CronJob>,
    jobs: Cache<Job>,
    queue: Arc<WorkQueue>,
    clock: Arc<dyn Clock>,
}

/// Runs the CronJob controller until `shutdown` completes.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut cron_informer = Informer::new(Api::<CronJob>::all(client.clone()));
    let mut job_informer = Informer::new(Api::<Job>::all(client.clone()));
    let controller = CronJobController {
        client,
        cron_jobs: cron_informer.cache(),
        jobs: job_informer.cache(),
        queue: Arc::new(WorkQueue::new(clock.clone())),
        clock,
    };
    let handler = controller.clone();
    cron_informer.on_change(move |change| {
        let (Change::Added(cron_job)
        | Change::Updated { new: cron_job, .. }
        | Change::Deleted(cron_job)) = change;
        handler.queue.add(&object_key(cron_job.as_ref()));
    });
    let handler = controller.clone();
    job_informer.on_change(move |change| {
        let (Change::Added(job) | Change::Updated { new: job, .. } | Change::Deleted(job)) = change;
        if let Some(owner) = controller_of(&job.metadata).filter(|o| o.kind == "CronJob") {
            let namespace = job.metadata.namespace.as_deref().unwrap_or_default();
            handler.queue.add(&format!("{namespace}/{}", owner.name));
        }
    });

    let mut tasks = Tasks::new();
    tasks.informer(cron_informer);
    tasks.informer(job_informer);
    let synced = controller.clone();
    let worker = controller.clone();
    tasks.workers(
        "cronjob-controller",
        controller.queue.clone(),
        workers,
        move || synced.cron_jobs.has_synced() && synced.jobs.has_synced(),
        || {},
        move |key| {
            let controller = worker.clone();
            async move { controller.sync(&key).await }
        },
    );
    tasks.run_until(shutdown).await;
}

impl CronJobController {
    /// One sync of the CronJob with this key.
    async fn sync(&self, key: &str) -> Result<(), SyncError> {
        let Some(cron_job) = self.cron_jobs.get(key) else {
            return Ok(());
        };
        let (namespace, _) = split_key(key);
        let namespace = namespace.unwrap_or_default();
        let uid = cron_job.metadata.uid.clone().unwrap_or_default();
        let jobs: Vec<Arc<Job>> = self
            .jobs
            .list_namespace(namespace)
            .into_iter()
            .filter(|job| controller_of(&job.metadata).is_some_and(|o| o.uid == uid))
            .collect();
        let decision = decide_cron_job(&cron_job, &jobs, self.clock.wall());
        let api = Api::<Job>::namespaced(self.client.clone(), namespace);
        // The Job's pods go with it (upstream deletes in the background too).
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        for job in &decision.delete {
            let name = job.metadata.name.as_deref().unwrap_or_default();
            match api.delete(name, &params).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(source) => {
                    return Err(request_failed(format!("deleting job {name}"))(source));
                }
            }
        }
        if let Some(job) = &decision.create {
            match api.create(&PostParams::default(), job).await {
                Ok(_) => {}
                // Created by an earlier sync whose Job the cache did not show yet.
                Err(kube::Error::Api(s)) if s.code == 409 => {}
                Err(source) => {
                    return Err(request_failed(format!("creating a job for {key}"))(source));
                }
            }
        }
        if cron_job.status.as_ref() != Some(&decision.status) {
            let name = cron_job.metadata.name.as_deref().unwrap_or_default();
            let mut body = json!(decision.status);
            if decision.status.active.is_none() {
                body["active"] = serde_json::Value::Null;
            }
            let patch = Patch::Merge(json!({ "status": body }));
            match Api::<CronJob>::namespaced(self.client.clone(), namespace)
                .patch_status(name, &PatchParams::default(), &patch)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(source) => {
                    return Err(request_failed(format!("updating the status of {key}"))(
                        source,
                    ));
                }
            }
        }
        if let Some(after) = decision.requeue_after {
            // A little after the minute starts, as upstream does (+100 ms).
            self.queue
                .add_after(key, after + std::time::Duration::from_millis(100));
        }
        Ok(())
    }
}
