//! Step 4 against the real lab-02 apiserver: a CronJob creates its Job when the (fake) clock
//! reaches its schedule.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::batch::v1::{CronJob, Job};
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use labkit::FakeClock;
use serde_json::json;

use crate::support::Cluster;

#[test]
fn step4_cronjob_creates_its_job_when_the_clock_reaches_the_schedule() {
    let cluster = Cluster::start();
    let clock = FakeClock::new(SystemTime::now());
    let mut config = cluster.config();
    config.controllers = vec!["cronjob".to_owned()];
    config.clock = Arc::new(clock.clone());
    let stopped = cluster.stopped();
    cluster.runtime.spawn(async move {
        lab_03::manager::run(config, stopped)
            .await
            .expect("the controller-manager runs");
    });
    let cron_job: CronJob = serde_json::from_value(json!({
        "metadata": {"name": "report"},
        "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Forbid",
                 "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                     "containers": [{"name": "report", "image": "busybox"}]}}}}}
    }))
    .unwrap();
    let cron_jobs = Api::<CronJob>::namespaced(cluster.client.clone(), "default");
    cluster
        .block_on(cron_jobs.create(&PostParams::default(), &cron_job))
        .expect("create the CronJob");
    // Two minutes pass on the controller's clock; an edit makes it look at once.
    clock.advance(Duration::from_secs(120));
    let poke = Patch::Merge(json!({"metadata": {"annotations": {"poke": "1"}}}));
    cluster
        .block_on(cron_jobs.patch("report", &PatchParams::default(), &poke))
        .expect("annotate the CronJob");
    let jobs = Api::<Job>::namespaced(cluster.client.clone(), "default");
    let job = cluster.wait_for("a Job of the CronJob", || {
        let jobs = jobs.clone();
        async move {
            let list = jobs.list(&ListParams::default()).await.ok()?;
            list.items.into_iter().next()
        }
    });
    let name = job.metadata.name.clone().unwrap();
    assert!(name.starts_with("report-"), "{name}");
    let owner = lab_03::pods::controller_of(&job.metadata).unwrap();
    assert_eq!(owner.kind, "CronJob");
    let status = cluster.wait_for("the CronJob's status", || {
        let cron_jobs = cron_jobs.clone();
        async move {
            let status = cron_jobs.get("report").await.ok()?.status?;
            status.last_schedule_time.is_some().then_some(status)
        }
    });
    let active = status.active.unwrap_or_default();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].name.as_ref(), Some(&name));
}
