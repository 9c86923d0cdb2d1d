//! Deployments, DaemonSets, StatefulSets, Jobs and CronJobs.

use serde_json::{Value, json};

use super::{c, create, deployment, set};

fn deployment_causes(mutate: impl FnOnce(&mut Value)) -> Vec<(String, &'static str, String)> {
    let mut d = deployment();
    mutate(&mut d);
    create("apps", "Deployment", d)
}

#[test]
fn step2_deployment_minimal_is_valid() {
    assert_eq!(deployment_causes(|_| {}), vec![]);
}

#[test]
fn step2_deployment_negative_replicas() {
    assert_eq!(
        deployment_causes(|d| set(d, "/spec/selector", json!({"matchLabels": {"app": "web"}}))),
        vec![]
    );
    assert_eq!(
        deployment_causes(|d| d["spec"]["replicas"] = json!(-1)),
        vec![c(
            "spec.replicas",
            "FieldValueInvalid",
            "Invalid value: -1: must be greater than or equal to 0"
        )]
    );
}

#[test]
fn step2_deployment_selector_must_match_template_labels() {
    assert_eq!(
        deployment_causes(|d| set(
            d,
            "/spec/template/metadata/labels",
            json!({"app": "api", "tier": "x"})
        )),
        vec![c(
            "spec.template.metadata.labels",
            "FieldValueInvalid",
            "Invalid value: {\"app\":\"api\",\"tier\":\"x\"}: `selector` does not match template `labels`"
        )]
    );
    // A set-based selector is matched too.
    let selector =
        json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]});
    assert_eq!(
        deployment_causes(|d| set(d, "/spec/selector", selector)),
        vec![]
    );
    let selector =
        json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]});
    assert_eq!(
        deployment_causes(|d| set(d, "/spec/selector", selector)).len(),
        1
    );
}

#[test]
fn step2_deployment_selector_required_and_restart_always() {
    let got = deployment_causes(|d| {
        if let Some(spec) = d["spec"].as_object_mut() {
            spec.remove("selector");
        }
        d["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
    });
    assert_eq!(
        got,
        vec![
            c("spec.selector", "FieldValueRequired", "Required value"),
            // A missing selector selects nothing, so it does not match the template either.
            c(
                "spec.template.metadata.labels",
                "FieldValueInvalid",
                "Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"
            ),
            c(
                "spec.template.spec.restartPolicy",
                "FieldValueNotSupported",
                "Unsupported value: \"Never\": supported values: \"Always\""
            ),
        ]
    );
}

#[test]
fn step2_deployment_empty_selector_selects_everything_and_is_rejected() {
    assert_eq!(
        deployment_causes(|d| set(d, "/spec/selector", json!({}))),
        vec![c(
            "spec.selector",
            "FieldValueInvalid",
            "Invalid value: {}: empty selector is invalid for deployment"
        )]
    );
}

#[test]
fn step2_deployment_rolling_update_limits() {
    let got = deployment_causes(|d| {
        d["spec"]["strategy"] =
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}});
    });
    assert_eq!(
        got,
        vec![c(
            "spec.strategy.rollingUpdate.maxUnavailable",
            "FieldValueInvalid",
            "Invalid value: 0: may not be 0 when `maxSurge` is 0"
        )]
    );
    let got = deployment_causes(|d| {
        d["spec"]["strategy"] =
            json!({"rollingUpdate": {"maxSurge": "lots", "maxUnavailable": "150%"}});
    });
    assert_eq!(
        got,
        vec![
            c(
                "spec.strategy.rollingUpdate.maxSurge",
                "FieldValueInvalid",
                "Invalid value: \"lots\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
            ),
            c(
                "spec.strategy.rollingUpdate.maxUnavailable",
                "FieldValueInvalid",
                "Invalid value: \"150%\": must not be greater than 100%"
            ),
        ]
    );
    let got = deployment_causes(|d| {
        d["spec"]["strategy"] = json!({"type": "Recreate", "rollingUpdate": {}});
    });
    assert_eq!(
        got,
        vec![c(
            "spec.strategy.rollingUpdate",
            "FieldValueForbidden",
            "Forbidden: may not be specified when strategy `type` is 'Recreate'"
        )]
    );
}

#[test]
fn step2_daemonset_and_statefulset_rules() {
    let template = json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}});
    let ds = json!({
        "metadata": {"name": "agent", "namespace": "kube-system"},
        "spec": {"selector": {"matchLabels": {"app": "y"}}, "template": template.clone()}
    });
    assert_eq!(
        create("apps", "DaemonSet", ds),
        vec![c(
            "spec.template.metadata.labels",
            "FieldValueInvalid",
            "Invalid value: {\"app\":\"x\"}: `selector` does not match template `labels`"
        )]
    );
    let sts = json!({
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "x"}}, "template": template,
            "podManagementPolicy": "Random", "serviceName": "db"
        }
    });
    assert_eq!(
        create("apps", "StatefulSet", sts),
        vec![c(
            "spec.podManagementPolicy",
            "FieldValueNotSupported",
            "Unsupported value: \"Random\": supported values: \"OrderedReady\", \"Parallel\""
        )]
    );
}

fn job(restart: &str) -> Value {
    json!({
        "metadata": {"name": "pi", "namespace": "default", "uid": "u-1"},
        "spec": {"template": {"spec": {
            "containers": [{"name": "pi", "image": "perl"}], "restartPolicy": restart
        }}}
    })
}

#[test]
fn step2_job_restart_policy_and_counts() {
    assert_eq!(create("batch", "Job", job("Never")), vec![]);
    assert_eq!(create("batch", "Job", job("OnFailure")), vec![]);
    let mut j = job("Always");
    j["spec"]["backoffLimit"] = json!(-1);
    assert_eq!(
        create("batch", "Job", j),
        vec![
            c(
                "spec.backoffLimit",
                "FieldValueInvalid",
                "Invalid value: -1: must be greater than or equal to 0"
            ),
            c(
                "spec.template.spec.restartPolicy",
                "FieldValueNotSupported",
                "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""
            ),
        ]
    );
    // Without a uid no selector can be generated.
    let mut j = job("Never");
    if let Some(meta) = j["metadata"].as_object_mut() {
        meta.remove("uid");
    }
    assert_eq!(
        create("batch", "Job", j),
        vec![
            c("spec.selector", "FieldValueRequired", "Required value"),
            c(
                "spec.template.metadata.labels",
                "FieldValueInvalid",
                "Invalid value: null: `selector` does not match template `labels`"
            ),
        ]
    );
}

fn cron_job(schedule: &str) -> Value {
    json!({
        "metadata": {"name": "tick", "namespace": "default"},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
            "containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "OnFailure"
        }}}}}
    })
}

#[test]
fn step2_cronjob_schedule_is_checked() {
    for good in [
        "*/5 * * * *",
        "0 3 * * mon-fri",
        "@hourly",
        "@every 1h30m",
        "0 0 1 jan,jul ?",
    ] {
        assert_eq!(create("batch", "CronJob", cron_job(good)), vec![], "{good}");
    }
    let cases = [
        ("often", "expected exactly 5 fields, found 1: [often]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        (
            "5-1 * * * *",
            "beginning of range (5) beyond end of range (1): 5-1",
        ),
        (
            "x * * * *",
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax",
        ),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ];
    for (schedule, message) in cases {
        assert_eq!(
            create("batch", "CronJob", cron_job(schedule)),
            vec![c(
                "spec.schedule",
                "FieldValueInvalid",
                &format!("Invalid value: {schedule:?}: {message}")
            )],
            "{schedule}"
        );
    }
}

#[test]
fn step2_cronjob_name_at_most_52_characters() {
    let mut cj = cron_job("@daily");
    cj["metadata"]["name"] = json!("a".repeat(53));
    let got = create("batch", "CronJob", cj);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "metadata.name");
    assert!(got[0].2.ends_with(": must be no more than 52 characters"));
}

#[test]
fn step2_statefulset_volume_mounts_may_name_its_volume_claim_templates() {
    let sts = json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}}, "serviceName": "nginx",
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                {"name": "nginx", "image": "nginx",
                 "volumeMounts": [{"name": "data", "mountPath": "/data"}]}
            ]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}
            }}]
        }
    });
    assert_eq!(create("apps", "StatefulSet", sts.clone()), vec![]);
    let mut bad = sts;
    bad["spec"]["template"]["spec"]["activeDeadlineSeconds"] = json!(5);
    assert_eq!(
        create("apps", "StatefulSet", bad),
        vec![c(
            "spec.template.spec.activeDeadlineSeconds",
            "FieldValueForbidden",
            "Forbidden: activeDeadlineSeconds in StatefulSet is not Supported"
        )]
    );
}
