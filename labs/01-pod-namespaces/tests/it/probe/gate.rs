//! Step 6 tests of a container's probes together: the startup gate, readiness flapping, and
//! timeouts, driven through `run_due` on a fake clock.

use std::time::Duration;

use lab_01::probe::{
    Action, ContainerProbes, Outcome, ProbeKind, ProbeResult, ProbeSet, ProbeSpec, Transition,
    run_due,
};
use labkit::{Clock, FakeClock};

use super::{ScriptProber, spec, tcp_handler};

fn probes(
    startup: Option<ProbeSpec>,
    liveness: Option<ProbeSpec>,
    readiness: Option<ProbeSpec>,
) -> ContainerProbes {
    ContainerProbes {
        startup,
        liveness,
        readiness,
    }
}

/// A container with all three probes, each a TCP check with the default timing.
fn all_three() -> ContainerProbes {
    probes(
        Some(spec(tcp_handler())),
        Some(spec(tcp_handler())),
        Some(spec(tcp_handler())),
    )
}

fn actions(transitions: &[Transition]) -> Vec<(ProbeKind, Option<Action>)> {
    transitions.iter().map(|t| (t.kind, t.action())).collect()
}

#[test]
fn step6_startup_probe_gates_liveness_and_readiness_until_it_succeeds() {
    let clock = FakeClock::default();
    let start = clock.now();
    let all = all_three();
    let set = ProbeSet::new(&all, start);
    // All three are due at 0 s by their own schedules, but only startup may run.
    assert_eq!(set.due(start), [ProbeKind::Startup]);
    assert!(!set.started());
    assert!(!set.ready());

    let mut set = set;
    set.record(ProbeKind::Startup, Outcome::Failure, start);
    // Between startup's ticks nothing is due, though liveness and readiness are overdue.
    clock.advance(Duration::from_secs(5));
    assert_eq!(set.due(clock.now()), []);

    clock.advance(Duration::from_secs(5));
    assert_eq!(set.due(clock.now()), [ProbeKind::Startup]);
    let started = set
        .record(ProbeKind::Startup, Outcome::Success, clock.now())
        .unwrap();
    assert_eq!(started.action(), Some(Action::MarkStarted));
    assert!(set.started());
    // Started, but not ready: readiness has not said yes yet.
    assert!(!set.ready());

    // From now on startup never runs again; the other two run at once (they are overdue).
    assert_eq!(
        set.due(clock.now()),
        [ProbeKind::Liveness, ProbeKind::Readiness]
    );
    for kind in [ProbeKind::Liveness, ProbeKind::Readiness] {
        set.record(kind, Outcome::Success, clock.now());
    }
    assert!(set.ready());
    clock.advance(Duration::from_secs(3600));
    assert!(!set.due(clock.now()).contains(&ProbeKind::Startup));
}

#[test]
fn step6_without_a_startup_probe_the_container_is_started_at_once() {
    let clock = FakeClock::default();
    let set = ProbeSet::new(
        &probes(None, Some(spec(tcp_handler())), Some(spec(tcp_handler()))),
        clock.now(),
    );
    assert!(set.started());
    assert_eq!(
        set.due(clock.now()),
        [ProbeKind::Liveness, ProbeKind::Readiness]
    );
    // No readiness probe at all: ready as soon as started (the kubelet's default Success).
    let no_readiness = ProbeSet::new(&probes(None, Some(spec(tcp_handler())), None), clock.now());
    assert!(no_readiness.ready());
}

#[test]
fn step6_readiness_flaps_with_the_server_and_never_kills() {
    let clock = FakeClock::default();
    let mut readiness = spec(tcp_handler());
    readiness.period = Duration::from_secs(5);
    readiness.failure_threshold = 2;
    let mut set = ProbeSet::new(&probes(None, None, Some(readiness)), clock.now());
    // The server is up except from 20 s to 45 s, and again from 70 s on for a single probe.
    let prober = ScriptProber::new(&clock, |_, at| {
        if (20..45).contains(&at) || at == 70 {
            Outcome::Failure
        } else {
            Outcome::Success
        }
    });
    let mut log = Vec::new();
    while clock.now() - prober.started_at <= Duration::from_secs(90) {
        for transition in run_due(&mut set, &prober, &clock) {
            let at = (clock.now() - prober.started_at).as_secs();
            log.push((at, transition.action()));
        }
        clock.advance(Duration::from_secs(1));
    }
    assert_eq!(
        log,
        [
            (0, Some(Action::SetReady(true))),
            // Failures at 20 and 25: the second in a row makes it unready.
            (25, Some(Action::SetReady(false))),
            (45, Some(Action::SetReady(true))),
            // The single failure at 70 is below the threshold: no flap.
        ]
    );
    assert!(set.ready());
    // Probed every 5 s throughout: failing readiness never stops the worker.
    assert_eq!(prober.checks().len(), 19);
}

#[test]
fn step6_a_check_slower_than_its_timeout_counts_as_a_failure() {
    let clock = FakeClock::default();
    let mut liveness = spec(tcp_handler());
    liveness.failure_threshold = 1;
    liveness.timeout = Duration::from_secs(1);
    let mut set = ProbeSet::new(&probes(None, Some(liveness.clone()), None), clock.now());
    // The check says "success", but only after 2 s of a 1 s timeout.
    let mut prober = ScriptProber::new(&clock, |_, _| Outcome::Success);
    prober.takes = Duration::from_secs(2);
    let transitions = run_due(&mut set, &prober, &clock);
    assert_eq!(
        actions(&transitions),
        [(ProbeKind::Liveness, Some(Action::KillContainer))]
    );

    // Within the timeout the same answer is a success: the container stays alive.
    let mut set = ProbeSet::new(&probes(None, Some(liveness), None), clock.now());
    prober.takes = Duration::from_millis(900);
    assert_eq!(run_due(&mut set, &prober, &clock), []);
    let worker = set.worker(ProbeKind::Liveness).unwrap();
    assert_eq!(worker.result(), ProbeResult::Success);
    assert!(worker.due_at().is_some(), "not on hold");
}

#[test]
fn step6_liveness_kill_and_restart_through_the_probe_set() {
    let clock = FakeClock::default();
    let start = clock.now();
    let all = all_three();
    let mut set = ProbeSet::new(&all, start);
    set.record(ProbeKind::Startup, Outcome::Success, start);
    set.record(ProbeKind::Readiness, Outcome::Success, start);
    assert!(set.ready());
    let mut kill = None;
    for tick in 0..3 {
        kill = set.record(
            ProbeKind::Liveness,
            Outcome::Failure,
            start + Duration::from_secs(10 * tick),
        );
    }
    assert_eq!(kill.unwrap().action(), Some(Action::KillContainer));
    // The liveness worker holds; readiness still runs on the old instance until it is gone.
    let later = start + Duration::from_secs(30);
    assert_eq!(set.due(later), [ProbeKind::Readiness]);

    // The restarted instance must start (and become ready) all over again.
    set.restart(later);
    assert!(!set.started());
    assert!(!set.ready());
    assert_eq!(set.due(later), [ProbeKind::Startup]);
}
