//! Defaults: minimal manifests come back with exactly the fields the real server fills in.

use lab_02::validation::default_object;
use lab_02::validation::defaults::pod::default_pull_policy;
use serde_json::{Value, json};

use super::{deployment, pod};

fn defaulted(group: &str, kind: &str, mut object: Value) -> Value {
    default_object(group, kind, &mut object);
    object
}

/// A container as `kubectl get -o json` shows it after defaulting.
fn nginx(name: &str, image: &str, pull: &str) -> Value {
    json!({
        "name": name, "image": image, "imagePullPolicy": pull, "resources": {},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
    })
}

/// The pod spec defaults every template gets.
fn template_spec(containers: &Value, restart: &str) -> Value {
    json!({
        "containers": containers,
        "dnsPolicy": "ClusterFirst", "restartPolicy": restart,
        "schedulerName": "default-scheduler", "securityContext": {},
        "terminationGracePeriodSeconds": 30
    })
}

#[test]
fn step2_default_deployment_gets_real_defaults() {
    let got = defaulted("apps", "Deployment", deployment());
    let expected = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": 1,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": template_spec(&json!([nginx("nginx", "nginx", "Always")]), "Always")
            }
        }
    });
    assert_eq!(got, expected);
}

#[test]
fn step2_default_deployment_keeps_given_values_and_recreate_stays_bare() {
    let mut d = deployment();
    d["spec"]["replicas"] = json!(0);
    d["spec"]["strategy"] = json!({"type": "Recreate"});
    let got = defaulted("apps", "Deployment", d);
    assert_eq!(got["spec"]["replicas"], json!(0));
    assert_eq!(got["spec"]["strategy"], json!({"type": "Recreate"}));
}

#[test]
fn step2_default_pod_gets_real_defaults() {
    let mut p = pod();
    p["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80}]);
    p["spec"]["containers"][0]["resources"] = json!({"limits": {"cpu": "500m"}});
    p["spec"]["containers"][0]["readinessProbe"] = json!({"httpGet": {"port": 80}});
    p["spec"]["volumes"] =
        json!([{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "c"}}]);
    let got = defaulted("", "Pod", p);
    let expected = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "containers": [{
                "name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "readinessProbe": {
                    "httpGet": {"path": "/", "port": 80, "scheme": "HTTP"},
                    "failureThreshold": 3, "periodSeconds": 10, "successThreshold": 1,
                    "timeoutSeconds": 1
                },
                "resources": {"limits": {"cpu": "500m"}, "requests": {"cpu": "500m"}},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"
            }],
            "dnsPolicy": "ClusterFirst", "enableServiceLinks": true,
            "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "securityContext": {}, "terminationGracePeriodSeconds": 30,
            "volumes": [
                {"name": "scratch", "emptyDir": {}},
                {"name": "cfg", "configMap": {"name": "c", "defaultMode": 420}}
            ]
        }
    });
    assert_eq!(got, expected);
}

#[test]
fn step2_default_image_pull_policy_follows_the_tag() {
    let cases = [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("localhost:5000/nginx", "Always"),
        ("localhost:5000/nginx:1.0", "IfNotPresent"),
        ("nginx@sha256:abcd", "IfNotPresent"),
        ("nginx:latest@sha256:abcd", "Always"),
    ];
    for (image, pull) in cases {
        assert_eq!(default_pull_policy(image), pull, "{image}");
    }
}

#[test]
fn step2_default_job_generates_selector_from_uid() {
    let job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "uid": "u-1"},
        "spec": {"template": {"spec": {
            "containers": [{"name": "pi", "image": "perl:5.34"}],
            "restartPolicy": "Never"
        }}}
    });
    let got = defaulted("batch", "Job", job);
    let labels = json!({
        "batch.kubernetes.io/controller-uid": "u-1", "batch.kubernetes.io/job-name": "pi",
        "controller-uid": "u-1", "job-name": "pi"
    });
    let expected = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "uid": "u-1", "labels": labels},
        "spec": {
            "backoffLimit": 6, "completionMode": "NonIndexed", "completions": 1,
            "parallelism": 1, "podReplacementPolicy": "TerminatingOrFailed", "suspend": false,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": template_spec(&json!([nginx("pi", "perl:5.34", "IfNotPresent")]), "Never")
            }
        }
    });
    assert_eq!(got, expected);
}

#[test]
fn step2_default_job_parallelism_alone_leaves_completions_unset() {
    let job = json!({"metadata": {"name": "j"}, "spec": {"parallelism": 3, "template": {}}});
    let got = defaulted("batch", "Job", job);
    assert_eq!(got["spec"]["parallelism"], json!(3));
    assert!(got["spec"].get("completions").is_none());
}

#[test]
fn step2_default_service_gets_real_defaults() {
    let service = json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]}
    });
    let got = defaulted("", "Service", service);
    let expected = json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "internalTrafficPolicy": "Cluster",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}],
            "selector": {"app": "web"},
            "sessionAffinity": "None",
            "type": "ClusterIP"
        }
    });
    assert_eq!(got, expected);
    let node_port = defaulted(
        "",
        "Service",
        json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "targetPort": "http"}]}}),
    );
    assert_eq!(node_port["spec"]["externalTrafficPolicy"], json!("Cluster"));
    assert_eq!(node_port["spec"]["ports"][0]["targetPort"], json!("http"));
}

#[test]
fn step2_default_namespace_secret_pvc() {
    let ns = defaulted("", "Namespace", json!({"metadata": {"name": "lab"}}));
    assert_eq!(
        ns,
        json!({
            "metadata": {"name": "lab", "labels": {"kubernetes.io/metadata.name": "lab"}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        })
    );
    let secret = defaulted("", "Secret", json!({"metadata": {"name": "s"}}));
    assert_eq!(secret["type"], json!("Opaque"));
    let pvc = defaulted("", "PersistentVolumeClaim", json!({"spec": {}}));
    assert_eq!(pvc["spec"]["volumeMode"], json!("Filesystem"));
    assert_eq!(pvc["status"]["phase"], json!("Pending"));
}

#[test]
fn step2_default_daemonset_statefulset_cronjob() {
    let ds = defaulted(
        "apps",
        "DaemonSet",
        json!({"spec": {"template": {"spec": {}}}}),
    );
    assert_eq!(
        ds["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
    );
    assert_eq!(ds["spec"]["revisionHistoryLimit"], json!(10));
    let sts = defaulted("apps", "StatefulSet", json!({"spec": {}}));
    assert_eq!(sts["spec"]["podManagementPolicy"], json!("OrderedReady"));
    assert_eq!(
        sts["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    );
    assert_eq!(
        sts["spec"]["persistentVolumeClaimRetentionPolicy"],
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
    );
    assert_eq!(sts["spec"]["replicas"], json!(1));
    // An explicit RollingUpdate without parameters stays without them.
    let explicit = defaulted(
        "apps",
        "StatefulSet",
        json!({"spec": {"updateStrategy": {"type": "RollingUpdate"}}}),
    );
    assert_eq!(
        explicit["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate"})
    );
    let cj = defaulted("batch", "CronJob", json!({"spec": {"schedule": "@hourly"}}));
    assert_eq!(cj["spec"]["concurrencyPolicy"], json!("Allow"));
    assert_eq!(cj["spec"]["suspend"], json!(false));
    assert_eq!(cj["spec"]["successfulJobsHistoryLimit"], json!(3));
    assert_eq!(cj["spec"]["failedJobsHistoryLimit"], json!(1));
}

#[test]
fn step2_defaults_are_idempotent_and_keep_unknown_fields() {
    let mut d = deployment();
    d["spec"]["template"]["spec"]["containers"][0]["x-custom"] = json!({"kept": true});
    let once = defaulted("apps", "Deployment", d);
    let twice = defaulted("apps", "Deployment", once.clone());
    assert_eq!(once, twice);
    assert_eq!(
        once["spec"]["template"]["spec"]["containers"][0]["x-custom"],
        json!({"kept": true})
    );
    let unknown = json!({"spec": {"anything": 1}});
    assert_eq!(defaulted("example.com", "Widget", unknown.clone()), unknown);
}
