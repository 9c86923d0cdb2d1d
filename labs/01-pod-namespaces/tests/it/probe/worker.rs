//! Step 6 tests of one probe worker: its schedule and its thresholds, on a fake clock.

use std::time::{Duration, Instant};

use lab_01::probe::{Action, Outcome, ProbeKind, ProbeResult, ProbeWorker, Transition};

use super::{spec, tcp_handler};

const S: Duration = Duration::from_secs(1);

fn at(start: Instant, seconds: u64) -> Instant {
    start + Duration::from_secs(seconds)
}

#[test]
fn step6_initial_results_are_readiness_failure_liveness_success_startup_unknown() {
    let start = Instant::now();
    let result = |kind| ProbeWorker::new(kind, spec(tcp_handler()), start).result();
    assert_eq!(result(ProbeKind::Readiness), ProbeResult::Failure);
    assert_eq!(result(ProbeKind::Liveness), ProbeResult::Success);
    assert_eq!(result(ProbeKind::Startup), ProbeResult::Unknown);
}

#[test]
fn step6_first_probe_waits_for_the_initial_delay_then_runs_every_period() {
    let start = Instant::now();
    let mut probe = spec(tcp_handler());
    probe.initial_delay = 15 * S;
    let mut worker = ProbeWorker::new(ProbeKind::Liveness, probe, start);

    assert!(!worker.due(start));
    assert!(!worker.due(at(start, 15) - Duration::from_millis(1)));
    assert!(worker.due(at(start, 15)));
    assert_eq!(worker.due_at(), Some(at(start, 15)));

    // Run on time at 15 s: the next is one period later.
    worker.record(Outcome::Success, at(start, 15));
    assert!(!worker.due(at(start, 24)));
    assert_eq!(worker.due_at(), Some(at(start, 25)));

    // Run late, at 27 s: the grid stays put, the next is at 35 s, not at 37 s.
    worker.record(Outcome::Success, at(start, 27));
    assert_eq!(worker.due_at(), Some(at(start, 35)));

    // The caller was busy until 80 s: the missed ticks (35 .. 75) are dropped, not replayed in a
    // burst. One probe runs now, and the next is the grid's next point.
    assert!(worker.due(at(start, 80)));
    worker.record(Outcome::Success, at(start, 80));
    assert_eq!(worker.due_at(), Some(at(start, 85)));

    // A probe exactly on a grid point is followed by the next grid point.
    worker.record(Outcome::Success, at(start, 85));
    assert_eq!(worker.due_at(), Some(at(start, 95)));
}

#[test]
fn step6_result_flips_only_after_threshold_consecutive_answers() {
    let start = Instant::now();
    let mut probe = spec(tcp_handler());
    probe.success_threshold = 2;
    probe.failure_threshold = 3;
    // Readiness starts at Failure; this is the module's diagram, answer by answer, but starting
    // from a ready container: two successes first.
    let mut worker = ProbeWorker::new(ProbeKind::Readiness, probe, start);
    let answers = [
        (Outcome::Success, ProbeResult::Failure), // 1 success: below 2
        (Outcome::Success, ProbeResult::Success), // 2 in a row: flips
        (Outcome::Failure, ProbeResult::Success), // 1 failure
        (Outcome::Failure, ProbeResult::Success), // 2
        (Outcome::Success, ProbeResult::Success), // the run is broken, back to 1 success
        (Outcome::Failure, ProbeResult::Success), // 1
        (Outcome::Failure, ProbeResult::Success), // 2
        (Outcome::Failure, ProbeResult::Failure), // 3 in a row: flips
        (Outcome::Failure, ProbeResult::Failure), // 4: stays, no new transition
        (Outcome::Success, ProbeResult::Failure), // 1 success
        (Outcome::Success, ProbeResult::Success), // 2: flips back
    ];
    let mut transitions = Vec::new();
    for (index, (outcome, expected)) in answers.into_iter().enumerate() {
        let now = at(start, 10 * index as u64);
        if let Some(transition) = worker.record(outcome, now) {
            transitions.push((index, transition.to));
        }
        assert_eq!(
            worker.result(),
            expected,
            "after answer {index} ({outcome:?})"
        );
    }
    assert_eq!(
        transitions,
        [
            (1, ProbeResult::Success),
            (7, ProbeResult::Failure),
            (10, ProbeResult::Success)
        ]
    );
}

#[test]
fn step6_liveness_failure_kills_then_a_restarted_container_starts_fresh() {
    let start = Instant::now();
    let mut probe = spec(tcp_handler());
    probe.initial_delay = 5 * S;
    let mut worker = ProbeWorker::new(ProbeKind::Liveness, probe, start);

    assert_eq!(worker.record(Outcome::Failure, at(start, 5)), None);
    assert_eq!(worker.record(Outcome::Failure, at(start, 15)), None);
    let transition = worker.record(Outcome::Failure, at(start, 25)).unwrap();
    assert_eq!(
        transition,
        Transition {
            kind: ProbeKind::Liveness,
            from: ProbeResult::Success,
            to: ProbeResult::Failure
        }
    );
    assert_eq!(transition.action(), Some(Action::KillContainer));

    // On hold: the container is being killed, so no more probes, however long we wait.
    assert!(!worker.due(at(start, 35)));
    assert!(!worker.due(at(start, 3600)));
    assert_eq!(worker.due_at(), None);

    // The new container instance starts at 40 s: initial result, fresh counts, fresh grid.
    worker.restart(at(start, 40));
    assert_eq!(worker.result(), ProbeResult::Success);
    assert_eq!(worker.due_at(), Some(at(start, 45)));
    // Two failures do not kill the new instance: the old run of failures was forgotten.
    assert_eq!(worker.record(Outcome::Failure, at(start, 45)), None);
    assert_eq!(worker.record(Outcome::Failure, at(start, 55)), None);
    assert_eq!(worker.result(), ProbeResult::Success);
}

#[test]
fn step6_readiness_failure_never_holds_or_kills() {
    let start = Instant::now();
    let mut worker = ProbeWorker::new(ProbeKind::Readiness, spec(tcp_handler()), start);
    let became_ready = worker.record(Outcome::Success, start).unwrap();
    assert_eq!(became_ready.action(), Some(Action::SetReady(true)));
    let mut last = None;
    for tick in 1..=3 {
        last = worker.record(Outcome::Failure, at(start, 10 * tick));
    }
    let unready = last.unwrap();
    assert_eq!(unready.action(), Some(Action::SetReady(false)));
    // Still probing: readiness keeps asking, so the container can become ready again.
    assert!(worker.due(at(start, 40)));
}
