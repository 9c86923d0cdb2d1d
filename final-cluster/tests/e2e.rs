//! The final cluster end to end, driven by real kubectl 1.33 the way seed 000 drives a
//! cluster: three nodes Ready, a Deployment of busybox `httpd` pods on the two workers with pod
//! IPs, a pod fetching the other's page across nodes, `logs` and `exec`, a deleted pod replaced,
//! a scale-up, a rollout and its undo, and a worker lost and its pods recreated elsewhere.
//!
//! One test, in order, on one cluster (bringing a cluster up is the expensive part). It runs in
//! a private host namespace (see `common`), needs root and kubectl 1.33, and says "not run"
//! without them.

#![cfg(target_os = "linux")]

use labkit::{Kubectl, poll_until};

mod common;
use common::ctl::{CONVERGE, Ctl};
use common::{Machine, World, options};

/// `name node ip phase` of the pods matching `selector`.
fn pods(ctl: &Ctl, selector: &str) -> Vec<(String, String, String, String)> {
    let template = "{range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP} \
                    {.status.phase} {.metadata.deletionTimestamp}{\"\\n\"}{end}";
    ctl.ok(&[
        "get",
        "pods",
        "-l",
        selector,
        "-o",
        &format!("jsonpath={template}"),
    ])
    .lines()
    .map(|line| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    })
    // Pods being deleted have a fifth field: they are on their way out.
    .filter(|fields| fields.len() == 4)
    .map(|fields| {
        (
            fields[0].clone(),
            fields[1].clone(),
            fields[2].clone(),
            fields[3].clone(),
        )
    })
    .collect()
}

/// The pods matching `selector` that are Running with a pod IP now.
fn running_now(ctl: &Ctl, selector: &str) -> Vec<(String, String, String, String)> {
    pods(ctl, selector)
        .into_iter()
        .filter(|(_, _, ip, phase)| phase == "Running" && ip.starts_with("10.244."))
        .collect()
}

/// Waits until exactly `count` pods match `selector`, all Running with an IP; returns them.
fn running(ctl: &Ctl, selector: &str, count: usize) -> Vec<(String, String, String, String)> {
    poll_until(
        CONVERGE,
        &format!("{count} running pods ({selector})"),
        || {
            let pods = pods(ctl, selector);
            (pods.len() == count
                && pods
                    .iter()
                    .all(|(_, _, ip, phase)| phase == "Running" && ip.starts_with("10.244.")))
            .then_some(pods)
        },
    )
}

/// On a failure, prints what kubectl sees (the component logs follow, from `World`).
struct Report<'a>(&'a Ctl);

impl Drop for Report<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for args in [
                &["get", "nodes", "-o", "wide"][..],
                &["get", "pods", "-A", "-o", "wide"],
                &["get", "deploy,rs", "-A"],
                &["get", "events", "-A"],
            ] {
                let out = self.0.run(args);
                eprintln!(
                    "==> kubectl {}\n{}{}",
                    args.join(" "),
                    out.stdout,
                    out.stderr
                );
            }
        }
    }
}

/// One replica on k8snode1, with a claim from `volumeClaimTemplates`, appending its host name
/// to a file on the claim each time it starts.
const STATEFUL_SET: &str = r#"{"apiVersion": "apps/v1", "kind": "StatefulSet",
  "metadata": {"name": "web"},
  "spec": {"replicas": 1, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
    "template": {"metadata": {"labels": {"app": "web"}},
      "spec": {"nodeSelector": {"kubernetes.io/hostname": "k8snode1"},
        "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "web", "image": "busybox",
          "command": ["sh", "-c", "hostname >> /data/log; cat /data/log; exec sleep 3600"],
          "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
    "volumeClaimTemplates": [{"metadata": {"name": "data"},
      "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}"#;

#[test]
fn seed_000_on_three_nodes_with_real_kubectl() {
    labkit::require!(labkit::root());
    let kubectl = labkit::require!(Kubectl::version(33));
    let world = World::new("e2e");
    let launcher = world.launcher();
    let host = world.host();
    let bin_dir = options(&[]).bin_dir;
    let before = Machine::now(&world.prefix, world.state.path(), &bin_dir);
    // A node is declared lost after 15 s without heartbeats (upstream: 50 s; more than the
    // kubelet's 10 s Lease renewal), so the last step does not wait minutes.
    let mut up = options(&["k8smaster", "k8snode1", "k8snode2"]);
    up.controller_manager_args = vec![
        "--node-monitor-grace-period=15s".to_owned(),
        "--node-monitor-period=1s".to_owned(),
    ];
    host.run(|| launcher.up(&up, &mut |line| eprintln!("up: {line}")))
        .unwrap()
        .expect("cluster up");
    let ctl = Ctl {
        kubectl: kubectl.kubeconfig(launcher.kubeconfig()),
        kubeconfig: launcher.kubeconfig(),
        host,
    };
    let _report = Report(&ctl);

    // Three nodes, Ready, with their addresses.
    let nodes = ctl.ok(&["get", "nodes", "-o", "wide"]);
    for (node, ip) in [
        ("k8smaster", "10.240.0.2"),
        ("k8snode1", "10.240.0.3"),
        ("k8snode2", "10.240.0.4"),
    ] {
        let line = nodes
            .lines()
            .find(|line| line.starts_with(node))
            .unwrap_or_else(|| panic!("{node} missing:\n{nodes}"));
        assert!(line.contains(" Ready ") && line.contains(ip), "{line}");
    }

    // The seed's deployment, on busybox: two pods on the two workers, with pod IPs.
    ctl.ok(&[
        "create",
        "deployment",
        "http-app",
        "--image=busybox",
        "--replicas=2",
        "--",
        "sh",
        "-c",
        "hostname > /tmp/index.html; echo serving; exec httpd -f -p 80 -h /tmp",
    ]);
    let pods = running(&ctl, "app=http-app", 2);
    let workers: Vec<&str> = pods.iter().map(|(_, node, _, _)| node.as_str()).collect();
    assert!(
        workers.contains(&"k8snode1") && workers.contains(&"k8snode2"),
        "one pod per worker: {pods:?}"
    );

    // Across nodes, by pod IP: the first pod fetches the second's page (its host name).
    let (first, _, _, _) = &pods[0];
    let (second, _, second_ip, _) = &pods[1];
    let page = ctl.wait_for(
        "a page across nodes",
        &[
            "exec",
            first,
            "--",
            "wget",
            "-qO-",
            &format!("http://{second_ip}/"),
        ],
        |out| Some(out.trim().to_owned()),
    );
    assert_eq!(page, *second);

    // logs, logs -f and exec.
    assert_eq!(ctl.ok(&["logs", first]).trim(), "serving");
    let followed = ctl.follow_first_line(first);
    assert_eq!(followed.trim(), "serving");
    assert_eq!(ctl.ok(&["exec", first, "--", "hostname"]).trim(), *first);
    let failed = ctl.run(&["exec", first, "--", "sh", "-c", "exit 3"]);
    assert_eq!(failed.code, Some(3), "{failed:?}");
    // exec -i: kubectl's stdin reaches the command, and its end is the command's end of file.
    let (code, out) = ctl.with_stdin(
        &["exec", "-i", first, "--", "sh", "-c", "cat; echo done"],
        b"one\ntwo\n",
    );
    assert_eq!((code, out.as_str()), (Some(0), "one\ntwo\ndone\n"));
    // exec -it: a shell on a terminal (the terminal echoes what is typed, lines end in \r\n),
    // and its exit code comes back.
    let (code, shown) = ctl.on_terminal(
        &["exec", "-it", first, "--", "sh"],
        b"echo $((6*7)) $(stty size | cut -d' ' -f2)\rexit 4\r",
    );
    assert_eq!(code, Some(4), "{shown}");
    assert!(shown.contains("42 80\r\n"), "{shown:?}");

    // ConfigMap and Secret volumes: the kubelet reads the objects from the API server. The
    // ConfigMap does not exist yet, so the pod waits in ContainerCreating until it does.
    ctl.ok(&[
        "create",
        "secret",
        "generic",
        "token",
        "--from-literal=token=s3cret",
    ]);
    ctl.ok(&[
        "run",
        "conf",
        "--image=busybox",
        "--restart=Never",
        "--overrides",
        r#"{"spec":{"containers":[{"name":"conf","image":"busybox",
            "command":["sh","-c","cat /conf/greeting; echo; cat /secret/token; echo; exec sleep 3600"],
            "volumeMounts":[{"name":"conf","mountPath":"/conf"},
                            {"name":"secret","mountPath":"/secret","readOnly":true}]}],
            "volumes":[{"name":"conf","configMap":{"name":"greeting"}},
                       {"name":"secret","secret":{"secretName":"token"}}]}}"#,
    ]);
    ctl.wait_for(
        "conf ContainerCreating",
        &["get", "pod", "conf", "--no-headers"],
        |out| out.contains("ContainerCreating").then_some(()),
    );
    ctl.ok(&[
        "create",
        "configmap",
        "greeting",
        "--from-literal=greeting=hello",
    ]);
    let mounted = ctl.wait_for("conf's files in its log", &["logs", "conf"], |out| {
        (out.lines().count() == 2).then(|| out.to_owned())
    });
    assert_eq!(mounted, "hello\ns3cret\n");
    ctl.ok(&["delete", "pod", "conf", "--wait=false"]);

    // A StatefulSet's claim is a directory on the node that outlives the pod: web-0 comes back
    // with the same name and finds what its first run wrote.
    let manifest = world.state.path().join("web-sts.json");
    std::fs::write(&manifest, STATEFUL_SET).expect("write the manifest");
    ctl.ok(&["apply", "-f", &manifest.to_string_lossy()]);
    ctl.wait_for("web-0's first line", &["logs", "web-0"], |out| {
        (out == "web-0\n").then_some(())
    });
    ctl.ok(&["delete", "pod", "web-0", "--wait=false"]);
    ctl.wait_for(
        "web-0 again, with the first run's line",
        &["logs", "web-0"],
        |out| (out == "web-0\nweb-0\n").then_some(()),
    );
    ctl.ok(&["delete", "statefulset", "web", "--wait=false"]);

    // A deleted pod is replaced.
    ctl.ok(&["delete", "pod", first, "--wait=false"]);
    ctl.wait_for(
        "a replacement pod",
        &["get", "pods", "-l", "app=http-app", "-o", "name"],
        |out| (!out.contains(&format!("pod/{first}\n")) && out.lines().count() == 2).then_some(()),
    );
    running(&ctl, "app=http-app", 2);

    // Scale to five, then a new command: the rollout completes and undo goes back.
    ctl.ok(&["scale", "deployment/http-app", "--replicas=5"]);
    running(&ctl, "app=http-app", 5);
    ctl.ok(&[
        "patch",
        "deployment/http-app",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/template/spec/containers/0/command/2","value":"hostname > /tmp/index.html; echo v2; exec httpd -f -p 80 -h /tmp"}]"#,
    ]);
    ctl.ok(&["rollout", "status", "deployment/http-app", "--timeout=120s"]);
    let v2 = running(&ctl, "app=http-app", 5);
    assert_eq!(ctl.ok(&["logs", &v2[0].0]).trim(), "v2");
    ctl.ok(&["rollout", "undo", "deployment/http-app"]);
    ctl.ok(&["rollout", "status", "deployment/http-app", "--timeout=120s"]);
    let back = running(&ctl, "app=http-app", 5);
    assert_eq!(ctl.ok(&["logs", &back[0].0]).trim(), "serving");

    // A worker is lost: its kubelet stops (and, here, its pods with it). The node goes
    // Unknown, gets the unreachable taint, its pods are evicted after their toleration (2 s
    // here, 300 s by default) and recreated on the other worker.
    ctl.ok(&[
        "patch",
        "deployment/http-app",
        "--type=merge",
        "-p",
        r#"{"spec":{"template":{"spec":{"tolerations":[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":2}]}}}}"#,
    ]);
    ctl.ok(&["rollout", "status", "deployment/http-app", "--timeout=120s"]);
    running(&ctl, "app=http-app", 5);
    let kubelet = world.state.path().join("pids/k8snode2.kubelet.pid");
    final_cluster::launcher::process::stop(&kubelet, final_cluster::launcher::process::STOP_GRACE)
        .unwrap();
    ctl.wait_for("k8snode2 NotReady", &["get", "node", "k8snode2"], |out| {
        out.contains("NotReady").then_some(())
    });
    let moved = poll_until(CONVERGE, "every pod on k8snode1", || {
        let pods = running_now(&ctl, "app=http-app");
        (pods.len() == 5 && pods.iter().all(|(_, node, _, _)| node == "k8snode1")).then_some(pods)
    });
    assert_eq!(moved.len(), 5);

    // `down` leaves the machine as it was: no namespace, link, mount, cgroup or process.
    ctl.host
        .run(|| launcher.down(&mut |_| {}))
        .unwrap()
        .expect("cluster down");
    let after = Machine::now(&world.prefix, world.state.path(), &bin_dir);
    assert_eq!(before, after);
}
