//! Step 6 tests of the seed's startup-probe example, minute by minute on a fake clock:
//! `failureThreshold: 30` x `periodSeconds: 10` gives a slow application about 300 s to start,
//! and once it has started, liveness takes over.

use std::time::Duration;

use lab_01::probe::{ContainerProbes, Outcome, ProbeKind, ProbeSet, run_due};
use labkit::{Clock, FakeClock};

use super::{ScriptProber, container};

/// The seed's container (its two probes, as in the Kubernetes documentation).
const SEED: &str = r#"
name: slow-app
ports: [{name: liveness-port, containerPort: 8080}]
livenessProbe:
  httpGet: {path: /healthz, port: liveness-port}
  failureThreshold: 1
  periodSeconds: 10
startupProbe:
  httpGet: {path: /healthz, port: liveness-port}
  failureThreshold: 30
  periodSeconds: 10
"#;

/// Runs the probe loop as a runtime would: run what is due, then sleep (here: advance the fake
/// clock) until the next probe is due, until nothing is left to run or `limit` has passed.
/// Returns one line per check, with the action of any transition it caused.
fn drive<F: Fn(ProbeKind, u64) -> Outcome>(
    set: &mut ProbeSet,
    prober: &ScriptProber<F>,
    clock: &FakeClock,
    limit: u64,
) -> String {
    let mut lines = Vec::new();
    loop {
        let seen = prober.checks().len();
        let transitions = run_due(set, prober, clock);
        for (kind, at, outcome) in &prober.checks()[seen..] {
            let action = transitions
                .iter()
                .find(|t| t.kind == *kind)
                .and_then(|t| t.action())
                .map(|action| format!("  -> {action:?}"))
                .unwrap_or_default();
            let outcome = match outcome {
                Outcome::Success => "ok",
                Outcome::Failure => "fail",
            };
            // Derived `Debug` ignores widths, so render the kind first, then pad it.
            let kind = format!("{kind:?}");
            let line = format!("{at:>4}s  {kind:<9}  {outcome:<4}{action}");
            lines.push(line.trim_end().to_owned());
        }
        let Some(next) = set.next_due_at() else {
            break; // everything is on hold or finished: the container is being killed
        };
        if next - prober.started_at > Duration::from_secs(limit) {
            break;
        }
        if next > clock.now() {
            clock.advance(next - clock.now());
        }
    }
    lines.join("\n")
}

#[test]
fn step6_seed_startup_probe_kills_an_app_that_never_starts_after_30_periods() {
    let clock = FakeClock::default();
    let probes = ContainerProbes::from_container(&container(SEED)).unwrap();
    let mut set = ProbeSet::new(&probes, clock.now());
    // An application that never comes up.
    let prober = ScriptProber::new(&clock, |_, _| Outcome::Failure);
    let timeline = drive(&mut set, &prober, &clock, 3600);

    let checks = prober.checks();
    // 30 startup probes, at 0, 10, ..., 290 s; never a liveness probe.
    assert_eq!(checks.len(), 30);
    assert!(
        checks
            .iter()
            .all(|(kind, _, _)| *kind == ProbeKind::Startup)
    );
    let times: Vec<u64> = checks.iter().map(|(_, at, _)| *at).collect();
    assert_eq!(times, (0..30).map(|n| n * 10).collect::<Vec<_>>());
    // The 30th failure, at 290 s, is the one that kills; then nothing runs until a restart.
    assert!(
        timeline.ends_with(" 290s  Startup    fail  -> KillContainer"),
        "{timeline}"
    );
    assert_eq!(set.next_due_at(), None);
    assert!(!set.started());
}

#[test]
fn step6_seed_slow_app_starts_then_liveness_takes_over_and_catches_a_deadlock() {
    let clock = FakeClock::default();
    let probes = ContainerProbes::from_container(&container(SEED)).unwrap();
    let mut set = ProbeSet::new(&probes, clock.now());
    // Up from 125 s; deadlocked from 200 s on.
    let prober = ScriptProber::new(&clock, |_, at| {
        if (125..200).contains(&at) {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    });
    let timeline = drive(&mut set, &prober, &clock, 3600);
    super::snapshot!(timeline);

    // After the kill, a new instance starts at 210 s and must pass its startup probe again.
    let restarted_at = clock.now() + Duration::from_secs(10);
    set.restart(restarted_at);
    assert!(!set.started());
    assert_eq!(set.due(restarted_at), [ProbeKind::Startup]);
}
