//! Step 4 against the real lab-02 apiserver: the Job controller runs pods until enough
//! succeed, or gives up. The test plays the kubelet, writing each pod's phase.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::Cluster;

fn create_job(cluster: &Cluster, spec: &serde_json::Value) -> Api<Job> {
    let mut job = json!({
        "metadata": {"name": "pi"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
                 "containers": [{"name": "pi", "image": "perl:5.34"}]}}}
    });
    for (key, value) in spec.as_object().into_iter().flatten() {
        job["spec"][key] = value.clone();
    }
    let job: Job = serde_json::from_value(job).unwrap();
    let jobs = Api::<Job>::namespaced(cluster.client.clone(), "default");
    cluster
        .block_on(jobs.create(&PostParams::default(), &job))
        .expect("create the Job");
    jobs
}

/// Waits for `count` pods of the Job in phase `Pending` (just created), and returns their names.
fn wait_for_pending(cluster: &Cluster, count: usize) -> Vec<String> {
    let pods = Api::<Pod>::namespaced(cluster.client.clone(), "default");
    cluster.wait_for(&format!("{count} pending pods of the Job"), || {
        let pods = pods.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels("job-name=pi"))
                .await
                .ok()?;
            let pending: Vec<String> = list
                .items
                .iter()
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending"))
                .filter_map(|p| p.metadata.name.clone())
                .collect();
            (pending.len() == count).then_some(pending)
        }
    })
}

/// The kubelet's part: the pod ran and ended in `phase`.
fn finish(cluster: &Cluster, name: &str, phase: &str) {
    let pods = Api::<Pod>::namespaced(cluster.client.clone(), "default");
    let patch = Patch::Merge(json!({"status": {"phase": phase}}));
    cluster
        .block_on(pods.patch_status(name, &PatchParams::default(), &patch))
        .expect("write the pod's phase");
}

fn wait_for_condition(cluster: &Cluster, jobs: &Api<Job>, type_: &str) -> Job {
    cluster.wait_for(&format!("the Job {type_}"), || {
        let jobs = jobs.clone();
        async move {
            let job = jobs.get("pi").await.ok()?;
            lab_03::job::decide::has_condition(&job, type_).then_some(job)
        }
    })
}

#[test]
fn step4_job_runs_pods_until_its_completions_succeed() {
    let cluster = Cluster::start();
    cluster.start_controllers(&["job"]);
    let jobs = create_job(&cluster, &json!({"completions": 3, "parallelism": 2}));
    let first = wait_for_pending(&cluster, 2);
    for name in &first {
        finish(&cluster, name, "Succeeded");
    }
    let last = wait_for_pending(&cluster, 1);
    finish(&cluster, &last[0], "Succeeded");
    let job = wait_for_condition(&cluster, &jobs, "Complete");
    let status = job.status.unwrap();
    assert_eq!(
        (status.succeeded, status.failed, status.active),
        (Some(3), Some(0), Some(0))
    );
    assert!(status.start_time.is_some() && status.completion_time.is_some());
    let pods = Api::<Pod>::namespaced(cluster.client.clone(), "default");
    let all = cluster
        .block_on(pods.list(&ListParams::default().labels("job-name=pi")))
        .unwrap();
    assert_eq!(all.items.len(), 3, "finished pods are kept, for their logs");
}

#[test]
fn step4_job_gives_up_after_its_backoff_limit() {
    let cluster = Cluster::start();
    cluster.start_controllers(&["job"]);
    let jobs = create_job(
        &cluster,
        &json!({"completions": 2, "parallelism": 1, "backoffLimit": 1}),
    );
    let first = wait_for_pending(&cluster, 1);
    finish(&cluster, &first[0], "Failed");
    let second = wait_for_pending(&cluster, 1);
    finish(&cluster, &second[0], "Failed");
    let job = wait_for_condition(&cluster, &jobs, "Failed");
    let status = job.status.unwrap();
    assert_eq!((status.failed, status.active), (Some(2), Some(0)));
    let failed = status
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Failed")
        .unwrap();
    assert_eq!(failed.reason.as_deref(), Some("BackoffLimitExceeded"));
}
