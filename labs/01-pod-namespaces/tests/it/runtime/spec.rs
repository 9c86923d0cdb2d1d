//! Step 7: a Pod manifest checked and resolved; bad input refused, naming the field.

use std::path::PathBuf;

use lab_01::image::{OciDir, Store};
use lab_01::plan::{Namespace, Op};
use lab_01::pod::{command_line, parse_duration, parse_manifest, plan_pod};
use lab_01::runtime::exec::{ExecTarget, exec_plan};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn step7_command_and_args_merge_with_the_image_as_kubernetes_does() {
    let entrypoint = strings(&["/entry"]);
    let cmd = strings(&["--default"]);
    let command = strings(&["/bin/app"]);
    let args = strings(&["--flag"]);
    assert_eq!(
        command_line(None, None, &entrypoint, &cmd),
        strings(&["/entry", "--default"])
    );
    assert_eq!(
        command_line(Some(&command), None, &entrypoint, &cmd),
        strings(&["/bin/app"]),
        "a command replaces the entrypoint and drops the image's cmd"
    );
    assert_eq!(
        command_line(None, Some(&args), &entrypoint, &cmd),
        strings(&["/entry", "--flag"])
    );
    assert_eq!(
        command_line(Some(&command), Some(&args), &entrypoint, &cmd),
        strings(&["/bin/app", "--flag"])
    );
}

#[test]
fn step7_exec_joins_the_container_namespaces_with_mnt_last() {
    let target = ExecTarget {
        pid: 4242,
        cgroup_procs: vec![PathBuf::from(
            "/sys/fs/cgroup/memory/kubelab/pod/web/cgroup.procs",
        )],
        env: strings(&["PATH=/bin"]),
        working_dir: PathBuf::from("/app"),
    };
    let plan = exec_plan(&target, &strings(&["cat", "/etc/hostname"]));
    let setns: Vec<(String, Namespace)> = plan
        .iter()
        .filter_map(|op| match op {
            Op::SetNs { path, namespace } => Some((path.display().to_string(), *namespace)),
            _ => None,
        })
        .collect();
    assert_eq!(setns.len(), 5, "net, ipc, uts, pid and mnt: {plan:#?}");
    for (path, namespace) in &setns {
        assert_eq!(path, &format!("/proc/4242/ns/{}", namespace.proc_name()));
    }
    let position = |wanted: &dyn Fn(&Op) -> bool| plan.iter().position(wanted).unwrap();
    let mnt = position(&|op| {
        matches!(
            op,
            Op::SetNs {
                namespace: Namespace::Mnt,
                ..
            }
        )
    });
    let cgroup = position(&|op| matches!(op, Op::JoinCgroup(_)));
    let fork = position(&|op| matches!(op, Op::Fork));
    let pid = position(&|op| {
        matches!(
            op,
            Op::SetNs {
                namespace: Namespace::Pid,
                ..
            }
        )
    });
    // The host's /proc and /sys are needed until the mount namespace is joined.
    assert!(
        cgroup < mnt,
        "join the cgroup while the host's /sys is visible"
    );
    assert!(
        setns.last().unwrap().1 == Namespace::Mnt && mnt < fork,
        "mnt last, then fork"
    );
    assert!(
        pid < fork,
        "only a child made after setns(pid) is inside the PID namespace"
    );
    assert_eq!(plan[plan.len() - 2], Op::Chdir(PathBuf::from("/app")));
    assert_eq!(
        plan.last(),
        Some(&Op::Exec {
            argv: strings(&["cat", "/etc/hostname"]),
            env: strings(&["PATH=/bin"]),
        })
    );
}

#[test]
fn step7_durations_on_the_command_line() {
    assert_eq!(parse_duration("30s").unwrap().as_secs(), 30);
    assert_eq!(parse_duration("2m").unwrap().as_secs(), 120);
    assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
    assert_eq!(parse_duration("7").unwrap().as_secs(), 7);
    assert!(
        parse_duration("soon")
            .unwrap_err()
            .contains("not a duration")
    );
    assert!(
        parse_duration("3d")
            .unwrap_err()
            .contains("unknown unit `d`")
    );
}

/// A store holding the offline busybox image built from the host's `busybox`.
fn busybox_store(busybox: &std::path::Path) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    lab_01::image::busybox::build_layout(busybox, &layout).unwrap();
    let store = Store::open_or_create(dir.path().join("store")).unwrap();
    store.import(&OciDir::open(&layout).unwrap(), None).unwrap();
    (dir, store)
}

/// The error message `plan_pod` gives for a manifest (which must be refused as bad input).
fn refused(store: &Store, yaml: &str) -> String {
    let manifest = match parse_manifest(yaml) {
        Ok(manifest) => manifest,
        Err(error) => {
            assert!(error.is_bad_input(), "{error}");
            return error.to_string();
        }
    };
    let error = plan_pod(&manifest.pod, store).expect_err("bad input must be refused");
    assert!(error.is_bad_input(), "not reported as bad input: {error:?}");
    lab_01::error::chain(&error)
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n";

#[test]
fn step7_bad_manifests_get_one_line_errors_that_name_the_field() {
    let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
    let (_dir, store) = busybox_store(&busybox);
    let cases = [
        (
            "kind: Pod\napiVersion: v1\nmetadata: {name: x}\nspec: {containers: [}",
            "not valid YAML",
        ),
        ("apiVersion: apps/v1\nkind: Deployment\n", "apiVersion"),
        (
            "apiVersion: v1\nkind: Service\n",
            "`Service` is not something",
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
            "the file has no Pod",
        ),
        (&format!("{POD}  containers: []"), "at least one container"),
        (
            &format!("{POD}  containers: [{{name: a, image: busybox, ports: 80}}]"),
            "invalid type",
        ),
        (
            &format!("{POD}  containers: [{{name: a}}]"),
            "container a: image",
        ),
        (
            &format!("{POD}  containers: [{{name: a, image: nginx}}]"),
            "nginx",
        ),
        (
            &format!(
                "{POD}  containers: [{{name: a, image: busybox}}, {{name: a, image: busybox}}]"
            ),
            "duplicate container name `a`",
        ),
        (
            &format!(
                "{POD}  restartPolicy: Sometimes\n  containers: [{{name: a, image: busybox}}]"
            ),
            "spec.restartPolicy",
        ),
        (
            &format!(
                "{POD}  containers: [{{name: a, image: busybox, env: [{{name: X, valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}}}]}}]"
            ),
            "env[0].valueFrom",
        ),
        (
            &format!(
                "{POD}  containers: [{{name: a, image: busybox, lifecycle: {{preStop: {{httpGet: {{port: 80}}}}}}}}]"
            ),
            "only exec hooks",
        ),
        (
            &format!(
                "{POD}  containers: [{{name: a, image: busybox, livenessProbe: {{periodSeconds: 5}}}}]"
            ),
            "must specify a handler type",
        ),
        (
            &format!(
                "{POD}  containers: [{{name: a, image: busybox, resources: {{limits: {{memory: lots}}}}}}]"
            ),
            "container a: resources",
        ),
    ];
    for (yaml, expected) in cases {
        let message = refused(&store, yaml);
        assert!(
            message.contains(expected),
            "for\n{yaml}\nexpected `{expected}` in: {message}"
        );
        assert!(!message.contains('\n'), "one line: {message}");
    }
}

#[test]
fn step7_a_good_manifest_resolves_images_env_and_hooks() {
    let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
    let (_dir, store) = busybox_store(&busybox);
    let manifest = parse_manifest(&format!(
        "{POD}  terminationGracePeriodSeconds: 5\n  containers:\n  - name: a\n    image: busybox\n    \
         args: [echo, hi]\n    env: [{{name: PATH, value: /bin}}, {{name: MODE, value: test}}]\n    \
         lifecycle: {{postStart: {{exec: {{command: [touch, /started]}}}}}}\n---\napiVersion: v1\n\
         kind: ConfigMap\nmetadata: {{name: settings}}\ndata: {{a: b}}\n"
    ))
    .unwrap();
    assert!(manifest.sources.config_maps.contains_key("settings"));
    let plan = plan_pod(&manifest.pod, &store).unwrap();
    assert_eq!(plan.grace.as_secs(), 5);
    assert_eq!(plan.sandbox.hostname, "web");
    let container = &plan.app[0];
    // busybox's image has no entrypoint: `args` alone is the command line.
    assert_eq!(container.argv, strings(&["echo", "hi"]));
    // The container's PATH replaces the image's in place; MODE is added.
    let path: Vec<_> = container
        .env
        .iter()
        .filter(|(name, _)| name == "PATH")
        .collect();
    assert_eq!(path, vec![&("PATH".to_owned(), "/bin".to_owned())]);
    assert!(
        container
            .env
            .contains(&("MODE".to_owned(), "test".to_owned()))
    );
    assert_eq!(container.post_start, Some(strings(&["touch", "/started"])));
}
