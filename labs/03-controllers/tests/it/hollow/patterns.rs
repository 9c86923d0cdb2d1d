//! Step 8: what a hollow container does, read from its command, and the pod phase.

use std::time::Duration;

use k8s_openapi::api::core::v1::Container;
use lab_03::hollow::patterns::{Exit, HollowState, after_exit, exit_of, pod_phase};

fn container(command: &[&str], args: &[&str]) -> Container {
    let strings = |words: &[&str]| {
        (!words.is_empty()).then(|| words.iter().map(|word| (*word).to_owned()).collect())
    };
    Container {
        name: "c".to_owned(),
        command: strings(command),
        args: strings(args),
        ..Container::default()
    }
}

fn now(code: i32) -> Option<Exit> {
    Some(Exit {
        code,
        after: Duration::ZERO,
    })
}

#[test]
fn step8_hollow_commands_that_exit_are_recognised() {
    assert_eq!(exit_of(&container(&["true"], &[])), now(0));
    assert_eq!(exit_of(&container(&["false"], &[])), now(1));
    assert_eq!(exit_of(&container(&["sh", "-c", "exit 3"], &[])), now(3));
    assert_eq!(
        exit_of(&container(&["/bin/sh"], &["-c", "exit 1"])),
        now(1),
        "command and args join"
    );
    assert_eq!(exit_of(&container(&["bash", "-c", "true"], &[])), now(0));
    assert_eq!(
        exit_of(&container(&["sleep", "2"], &[])),
        Some(Exit {
            code: 0,
            after: Duration::from_secs(2)
        })
    );
    assert_eq!(
        exit_of(&container(&["sh", "-c", "sleep 0.5; exit 4"], &[])),
        Some(Exit {
            code: 4,
            after: Duration::from_millis(500)
        })
    );
}

#[test]
fn step8_hollow_other_commands_run_until_stopped() {
    assert_eq!(
        exit_of(&container(&[], &[])),
        None,
        "the image's own command: a server"
    );
    assert_eq!(exit_of(&container(&["httpd", "-f", "-p", "80"], &[])), None);
    assert_eq!(
        exit_of(&container(
            &["sh", "-c", "while true; do sleep 1; done"],
            &[]
        )),
        None
    );
}

#[test]
fn step8_hollow_pod_phase_follows_the_exits_and_the_restart_policy() {
    assert_eq!(after_exit("Never", 1), HollowState::Exited(1));
    assert_eq!(after_exit("OnFailure", 0), HollowState::Exited(0));
    assert_eq!(after_exit("OnFailure", 2), HollowState::BackOff(2));
    assert_eq!(after_exit("Always", 0), HollowState::BackOff(0));

    assert_eq!(pod_phase(&[HollowState::Running]), "Running");
    assert_eq!(
        pod_phase(&[HollowState::Exited(0), HollowState::Running]),
        "Running"
    );
    assert_eq!(
        pod_phase(&[HollowState::BackOff(1)]),
        "Running",
        "restarting is running"
    );
    assert_eq!(
        pod_phase(&[HollowState::Exited(0), HollowState::Exited(0)]),
        "Succeeded"
    );
    assert_eq!(
        pod_phase(&[HollowState::Exited(0), HollowState::Exited(1)]),
        "Failed"
    );
}

/// A pod stopped while it waits to become Ready still reports that it finished (the wait for
/// the stop signal must not be polled a second time once it has fired).
#[test]
fn step8_a_pod_stopped_before_it_is_ready_reports_finished() {
    use lab_03::hollow::HollowRuntime;
    use lab_03::kubelet::{PodReport, PodRuntime, StatusReporter};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    let hollow = HollowRuntime::new(Duration::from_secs(3600), "10.128.0.0".parse().unwrap())
        .expect("a hollow runtime");
    let (reports, received) = std::sync::mpsc::channel();
    let reporter = StatusReporter::new("uid-1", move |_, report| {
        let _ = reports.send(report);
    });
    let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "waiting", "namespace": "default", "uid": "uid-1"},
        "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}]},
    }))
    .unwrap();
    hollow.start_pod(&pod, reporter).unwrap();
    assert!(matches!(
        received.recv_timeout(Duration::from_secs(10)),
        Ok(PodReport::Status(_))
    ));
    hollow.stop_pod("uid-1", Duration::ZERO);
    let finished = labkit::poll_until(Duration::from_secs(10), "the Finished report", || {
        received
            .try_iter()
            .find(|report| matches!(report, PodReport::Finished(_)))
    });
    assert!(matches!(finished, PodReport::Finished(_)));
}
