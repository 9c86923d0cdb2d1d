//! Step 5 tests: restart policy, crash-loop back-off, init container order, the Pod phase and
//! the graceful-stop plan, all on a fake clock.

use std::time::{Duration, Instant};

use lab_01::lifecycle::stop::{MINIMUM_GRACE, term_wait};
use lab_01::lifecycle::{
    Action, Backoff, ContainerView, Phase, RestartPolicy, State, StopStep, compute_actions,
    pod_phase, should_restart, stop_plan,
};
use labkit::{Clock, FakeClock};

const SECOND: Duration = Duration::from_secs(1);

fn exited(name: &str, exit_code: i32, finished_at: Instant) -> ContainerView {
    ContainerView::new(
        name,
        State::Exited {
            exit_code,
            finished_at,
        },
    )
}

#[test]
fn step5_restart_policy_decides_which_exits_come_back() {
    use RestartPolicy::*;
    let table: Vec<String> = [Always, OnFailure, Never]
        .iter()
        .flat_map(|policy| {
            [(0, false), (1, false), (0, true), (1, true)].map(|(code, init)| {
                let kind = if init { "init" } else { "app" };
                let verdict = should_restart(*policy, code, init);
                format!("{policy:<9} {kind:<4} exit {code}: restart={verdict}")
            })
        })
        .collect();
    assert_eq!(
        table,
        [
            "Always    app  exit 0: restart=true",
            "Always    app  exit 1: restart=true",
            "Always    init exit 0: restart=false",
            "Always    init exit 1: restart=true",
            "OnFailure app  exit 0: restart=false",
            "OnFailure app  exit 1: restart=true",
            "OnFailure init exit 0: restart=false",
            "OnFailure init exit 1: restart=true",
            "Never     app  exit 0: restart=false",
            "Never     app  exit 1: restart=false",
            "Never     init exit 0: restart=false",
            "Never     init exit 1: restart=false",
        ]
    );
}

/// Crashes a container the moment it starts, over and over, and records how long each restart
/// had to wait: the kubelet's sequence.
#[test]
fn step5_first_restart_is_immediate_then_back_off_doubles_to_five_minutes() {
    let clock = FakeClock::default();
    let mut backoff = Backoff::default();
    let mut waits = Vec::new();
    for _ in 0..9 {
        let finished_at = clock.now();
        let app = [exited("app", 1, finished_at)];
        let mut waited = Duration::ZERO;
        loop {
            match compute_actions(RestartPolicy::Always, &[], &app, &backoff, clock.now())
                .as_slice()
            {
                [Action::Restart(name)] => {
                    backoff.restarted(name, clock.now());
                    break;
                }
                [Action::Wait { until, .. }] => {
                    let step = *until - clock.now();
                    clock.advance(step);
                    waited += step;
                }
                other => panic!("unexpected actions {other:?}"),
            }
        }
        waits.push(waited.as_secs());
    }
    assert_eq!(waits, [0, 10, 20, 40, 80, 160, 300, 300, 300]);
}

#[test]
fn step5_back_off_resets_after_ten_quiet_minutes() {
    let clock = FakeClock::default();
    let mut backoff = Backoff::default();
    for _ in 0..4 {
        backoff.restarted("app", clock.now());
    }
    assert_eq!(backoff.delay("app"), Some(80 * SECOND));
    clock.advance(10 * 60 * SECOND); // exactly 10 minutes: not yet forgotten
    assert_eq!(backoff.restarted("app", clock.now()), 160 * SECOND);
    clock.advance(10 * 60 * SECOND + SECOND);
    assert_eq!(backoff.restarted("app", clock.now()), 10 * SECOND);
}

#[test]
fn step5_init_containers_run_one_at_a_time_in_order_before_the_apps() {
    let now = FakeClock::default().now();
    let backoff = Backoff::default();
    let apps = [
        ContainerView::new("web", State::Waiting),
        ContainerView::new("log", State::Waiting),
    ];
    let policy = RestartPolicy::Always;
    let mut init = [
        ContainerView::new("migrate", State::Waiting),
        ContainerView::new("warm-cache", State::Waiting),
    ];
    let act = |init: &[ContainerView]| compute_actions(policy, init, &apps, &backoff, now);
    assert_eq!(act(&init), [Action::Start("migrate".into())]);
    init[0].state = State::Running;
    assert_eq!(
        act(&init),
        [],
        "nothing else starts while an init container runs"
    );
    init[0].state = State::Exited {
        exit_code: 0,
        finished_at: now,
    };
    assert_eq!(act(&init), [Action::Start("warm-cache".into())]);
    init[1].state = State::Exited {
        exit_code: 0,
        finished_at: now,
    };
    assert_eq!(
        act(&init),
        [Action::Start("web".into()), Action::Start("log".into())],
        "app containers start together once every init container succeeded"
    );
}

#[test]
fn step5_a_failed_init_container_fails_the_pod_under_never_and_retries_otherwise() {
    let clock = FakeClock::default();
    let mut backoff = Backoff::default();
    let init = [exited("migrate", 3, clock.now())];
    let apps = [ContainerView::new("web", State::Waiting)];
    let never = compute_actions(RestartPolicy::Never, &init, &apps, &backoff, clock.now());
    assert_eq!(never, []);
    assert_eq!(pod_phase(RestartPolicy::Never, &init, &apps), Phase::Failed);

    let on_failure = compute_actions(
        RestartPolicy::OnFailure,
        &init,
        &apps,
        &backoff,
        clock.now(),
    );
    assert_eq!(on_failure, [Action::Restart("migrate".into())]);
    backoff.restarted("migrate", clock.now());
    let again = [exited("migrate", 3, clock.now())];
    let waiting = compute_actions(
        RestartPolicy::OnFailure,
        &again,
        &apps,
        &backoff,
        clock.now(),
    );
    assert_eq!(
        waiting,
        [Action::Wait {
            name: "migrate".into(),
            until: clock.now() + 10 * SECOND
        }]
    );
    assert_eq!(
        pod_phase(RestartPolicy::OnFailure, &again, &apps),
        Phase::Pending
    );
}

#[test]
fn step5_pod_phase_follows_the_kubelet_rules() {
    let now = FakeClock::default().now();
    let run = |name: &str| ContainerView::new(name, State::Running);
    let wait = |name: &str| ContainerView::new(name, State::Waiting);
    let restarting = |name: &str| ContainerView {
        last_exit_code: Some(1),
        ..ContainerView::new(name, State::Waiting)
    };
    let ok = |name: &str| exited(name, 0, now);
    let bad = |name: &str| exited(name, 1, now);
    let cases: Vec<(&str, Vec<ContainerView>, Vec<ContainerView>)> = vec![
        ("nothing started", vec![], vec![wait("a")]),
        ("init running", vec![run("i")], vec![wait("a")]),
        (
            "one app running, one not yet",
            vec![ok("i")],
            vec![run("a"), wait("b")],
        ),
        ("all apps running", vec![ok("i")], vec![run("a"), run("b")]),
        ("one running, one exited", vec![], vec![run("a"), bad("b")]),
        ("all exited 0", vec![], vec![ok("a"), ok("b")]),
        ("all stopped, one failed", vec![], vec![ok("a"), bad("b")]),
        (
            "waiting to restart after failing",
            vec![],
            vec![restarting("a")],
        ),
    ];
    let mut table = String::new();
    for (what, init, app) in &cases {
        let phases: Vec<String> = [
            RestartPolicy::Always,
            RestartPolicy::OnFailure,
            RestartPolicy::Never,
        ]
        .iter()
        .map(|policy| format!("{policy}={}", pod_phase(*policy, init, app)))
        .collect();
        table.push_str(&format!("{what:<34} {}\n", phases.join(" ")));
    }
    insta::assert_snapshot!(table);
}

#[test]
fn step5_stop_runs_the_pre_stop_hook_then_term_then_kill() {
    let grace = 30 * SECOND;
    assert_eq!(
        stop_plan(grace, true),
        [
            StopStep::PreStop { budget: grace },
            StopStep::Terminate,
            StopStep::WaitForExit,
            StopStep::Kill
        ]
    );
    assert_eq!(
        stop_plan(grace, false),
        [StopStep::Terminate, StopStep::WaitForExit, StopStep::Kill]
    );
}

#[test]
fn step5_sigterm_gets_what_the_hook_left_but_at_least_two_seconds() {
    assert_eq!(term_wait(30 * SECOND, 5 * SECOND), 25 * SECOND);
    assert_eq!(term_wait(30 * SECOND, Duration::ZERO), 30 * SECOND);
    assert_eq!(term_wait(30 * SECOND, 40 * SECOND), MINIMUM_GRACE);
    assert_eq!(term_wait(Duration::ZERO, Duration::ZERO), MINIMUM_GRACE);
}
