//! Printers of the apps and batch groups.

use serde_json::{Value, json};

use super::{ago, meta, print_one};

fn template(containers: &[(&str, &str)]) -> Value {
    let containers: Vec<Value> = containers
        .iter()
        .map(|(name, image)| json!({ "name": name, "image": image }))
        .collect();
    json!({ "metadata": { "labels": { "app": "web" } }, "spec": { "containers": containers } })
}

fn deployment(spec_replicas: Option<i32>, status: Value, selector: Value) -> Value {
    let mut spec = json!({ "template": template(&[("nginx", "nginx:1.27"), ("log", "busybox")]) });
    if let Some(replicas) = spec_replicas {
        spec["replicas"] = json!(replicas);
    }
    spec["selector"] = selector;
    let mut deployment =
        json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("web", 300) });
    deployment["spec"] = spec;
    deployment["status"] = status;
    deployment
}

#[test]
fn step5_deployment_columns_and_cells() {
    let (headers, cells) = print_one(
        "apps",
        "deployments",
        deployment(
            Some(3),
            json!({ "replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2 }),
            json!({ "matchLabels": { "app": "web" } }),
        ),
    );
    assert_eq!(
        headers,
        "NAME READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR"
    );
    assert_eq!(
        cells,
        vec![
            json!("web"),
            json!("2/3"),
            json!(3),
            json!(2),
            json!("5m"),
            json!("nginx,log"),
            json!("nginx:1.27,busybox"),
            json!("app=web")
        ]
    );
}

#[test]
fn step5_deployment_defaults_and_selectors() {
    // A fresh deployment: no status yet, replicas defaulted to 1.
    let (_, cells) = print_one(
        "apps",
        "deployments",
        deployment(None, json!({}), json!({ "matchLabels": { "app": "web" } })),
    );
    assert_eq!(&cells[1..4], &[json!("0/1"), json!(0), json!(0)]);
    // Requirements sorted by key, values sorted within a set.
    let selector = json!({ "matchLabels": { "tier": "front" }, "matchExpressions": [
        { "key": "env", "operator": "NotIn", "values": ["prod", "dev"] },
        { "key": "app", "operator": "In", "values": ["web"] },
        { "key": "canary", "operator": "DoesNotExist" },
        { "key": "zone", "operator": "Exists" } ] });
    let (_, cells) = print_one(
        "apps",
        "deployments",
        deployment(Some(1), json!({}), selector),
    );
    assert_eq!(
        cells[7],
        "app in (web),!canary,env notin (dev,prod),tier=front,zone"
    );
    // An operator that does not exist makes the selector invalid.
    let selector =
        json!({ "matchExpressions": [{ "key": "app", "operator": "Like", "values": ["w"] }] });
    let (_, cells) = print_one(
        "apps",
        "deployments",
        deployment(Some(1), json!({}), selector),
    );
    assert_eq!(cells[7], "<invalid>");
}

#[test]
fn step5_replicaset_daemonset_statefulset() {
    let rs = json!({ "metadata": meta("web-6d4f", 300),
        "spec": { "replicas": 3, "selector": { "matchLabels": { "app": "web", "pod-template-hash": "6d4f" } }, "template": template(&[("nginx", "nginx")]) },
        "status": { "replicas": 3, "readyReplicas": 1 } });
    let (headers, cells) = print_one("apps", "replicasets", rs);
    assert_eq!(
        headers,
        "NAME DESIRED CURRENT READY AGE | CONTAINERS IMAGES SELECTOR"
    );
    assert_eq!(
        cells,
        vec![
            json!("web-6d4f"),
            json!(3),
            json!(3),
            json!(1),
            json!("5m"),
            json!("nginx"),
            json!("nginx"),
            json!("app=web,pod-template-hash=6d4f")
        ]
    );

    let mut ds_template = template(&[("agent", "agent:1")]);
    ds_template["spec"]["nodeSelector"] = json!({ "kubernetes.io/os": "linux" });
    let ds = json!({ "metadata": meta("agent", 300), "spec": { "selector": { "matchLabels": { "app": "agent" } }, "template": ds_template },
        "status": { "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2, "updatedNumberScheduled": 3,
                    "numberAvailable": 2, "numberMisscheduled": 0 } });
    let (headers, cells) = print_one("apps", "daemonsets", ds);
    assert_eq!(
        headers,
        "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE | CONTAINERS IMAGES SELECTOR"
    );
    assert_eq!(
        cells,
        vec![
            json!("agent"),
            json!(3),
            json!(3),
            json!(2),
            json!(3),
            json!(2),
            json!("kubernetes.io/os=linux"),
            json!("5m"),
            json!("agent"),
            json!("agent:1"),
            json!("app=agent")
        ]
    );

    let sts = json!({ "metadata": meta("db", 300), "spec": { "replicas": 3, "serviceName": "db",
        "selector": { "matchLabels": { "app": "db" } }, "template": template(&[("pg", "postgres:17")]) },
        "status": { "replicas": 2, "readyReplicas": 2 } });
    let (headers, cells) = print_one("apps", "statefulsets", sts);
    assert_eq!(headers, "NAME READY AGE | CONTAINERS IMAGES");
    assert_eq!(
        cells,
        vec![
            json!("db"),
            json!("2/3"),
            json!("5m"),
            json!("pg"),
            json!("postgres:17")
        ]
    );
}

#[test]
fn step5_controller_revision_names_its_controller_as_kind_group_slash_name() {
    let mut owned = meta("web-7d4b9c", 300);
    owned["ownerReferences"] = json!([{ "apiVersion": "apps/v1", "kind": "StatefulSet",
        "name": "web", "uid": "u1", "controller": true }]);
    let (headers, cells) = print_one(
        "apps",
        "controllerrevisions",
        json!({ "metadata": owned, "revision": 2, "data": {} }),
    );
    assert_eq!(headers, "NAME CONTROLLER REVISION AGE");
    assert_eq!(
        cells,
        vec![
            json!("web-7d4b9c"),
            json!("statefulset.apps/web"),
            json!(2),
            json!("5m")
        ]
    );

    let (_, cells) = print_one(
        "apps",
        "controllerrevisions",
        json!({ "metadata": meta("orphan", 300), "revision": 1 }),
    );
    assert_eq!(cells[1], json!("<none>"));
}

fn job(spec: Value, status: Value) -> Value {
    let mut spec = spec;
    spec["template"] = template(&[("pi", "perl")]);
    spec["selector"] = json!({ "matchLabels": { "batch.kubernetes.io/controller-uid": "u-1" } });
    let mut job = json!({ "metadata": meta("pi", 600) });
    job["spec"] = spec;
    job["status"] = status;
    job
}

#[test]
fn step5_job_columns_and_status() {
    let complete = job(
        json!({ "completions": 1 }),
        json!({ "succeeded": 1, "startTime": ago(600), "completionTime": ago(408),
        "conditions": [{ "type": "Complete", "status": "True" }] }),
    );
    let (headers, cells) = print_one("batch", "jobs", complete);
    assert_eq!(
        headers,
        "NAME STATUS COMPLETIONS DURATION AGE | CONTAINERS IMAGES SELECTOR"
    );
    assert_eq!(
        cells,
        vec![
            json!("pi"),
            json!("Complete"),
            json!("1/1"),
            json!("3m12s"),
            json!("10m"),
            json!("pi"),
            json!("perl"),
            json!("batch.kubernetes.io/controller-uid=u-1")
        ]
    );

    // Still running: the duration so far; no completions: "n/1", or "n/1 of p" in parallel.
    let running = job(
        json!({ "parallelism": 3 }),
        json!({ "succeeded": 1, "startTime": ago(45) }),
    );
    let (_, cells) = print_one("batch", "jobs", running);
    assert_eq!(
        &cells[1..4],
        &[json!("Running"), json!("1/1 of 3"), json!("45s")]
    );
    let not_started = job(json!({}), json!({}));
    assert_eq!(
        &print_one("batch", "jobs", not_started).1[1..4],
        &[json!("Running"), json!("0/1"), json!("")]
    );

    let failed = job(
        json!({ "completions": 2 }),
        json!({ "failed": 1, "conditions": [
        { "type": "FailureTarget", "status": "True" }, { "type": "Failed", "status": "True" }] }),
    );
    assert_eq!(print_one("batch", "jobs", failed).1[1], "Failed");
    let suspended = job(
        json!({ "completions": 2 }),
        json!({ "conditions": [{ "type": "Suspended", "status": "True" }] }),
    );
    assert_eq!(print_one("batch", "jobs", suspended).1[1], "Suspended");
    let mut deleting = job(
        json!({}),
        json!({ "conditions": [{ "type": "Suspended", "status": "True" }] }),
    );
    deleting["metadata"]["deletionTimestamp"] = json!(ago(1));
    assert_eq!(print_one("batch", "jobs", deleting).1[1], "Terminating");
}

#[test]
fn step5_cronjob_columns() {
    let cron_job = json!({ "metadata": meta("backup", 86400),
        "spec": { "schedule": "*/5 * * * *", "jobTemplate": { "spec": { "template": template(&[("backup", "restic")]) } } },
        "status": { "active": [{ "name": "backup-1" }], "lastScheduleTime": ago(120) } });
    let (headers, cells) = print_one("batch", "cronjobs", cron_job);
    assert_eq!(
        headers,
        "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE | CONTAINERS IMAGES SELECTOR"
    );
    assert_eq!(
        cells,
        vec![
            json!("backup"),
            json!("*/5 * * * *"),
            json!("<none>"),
            json!("<unset>"),
            json!(1),
            json!("2m"),
            json!("24h"),
            json!("backup"),
            json!("restic"),
            json!("<none>")
        ]
    );
    let cron_job = json!({ "metadata": meta("nightly", 60),
        "spec": { "schedule": "0 3 * * *", "timeZone": "Europe/Paris", "suspend": true, "jobTemplate": {} } });
    let (_, cells) = print_one("batch", "cronjobs", cron_job);
    assert_eq!(
        &cells[2..6],
        &[
            json!("Europe/Paris"),
            json!("true"),
            json!(0),
            json!("<none>")
        ]
    );
}
