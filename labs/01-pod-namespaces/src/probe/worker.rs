//! One probe of one container over time: when it runs next, and what its answers add up to.
//!
//! The kubelet starts one *worker* per probe of each running container (its
//! `pkg/kubelet/prober/worker.go`). A worker does not act on a single answer: it keeps a result
//! and changes it only after enough consecutive answers agree.
//!
//! ```text
//! answers:  ok    fail  fail  ok    fail  fail  fail  ok    ok     failureThreshold 3
//! run:      1     1     2     1     1     2     3     1     2      successThreshold 2
//! result:   S     S     S     S     S     S     F     F     S
//!                                               ^           ^
//!                     flips at the 3rd failure ─┘           └─ and at the 2nd success
//! ```
//!
//! Before any answer the result is the kind's *initial result*: readiness starts at Failure (a
//! container is not ready until a probe says so), liveness at Success (it is alive until proven
//! otherwise), startup at Unknown. Probes run on a fixed grid of times: the first at the container's
//! start plus `initialDelaySeconds`, then one every `periodSeconds`. A probe that finds its worker
//! late (the runtime was busy) runs once, and the grid carries on: missed ticks are dropped, not
//! replayed in a burst, like Go's `time.Ticker` which the kubelet uses.
//!
//! This file is pure: it never reads a clock or touches a socket. The caller passes `now` in, so
//! a test can walk five minutes of probing in a microsecond; [`crate::probe::prober::run_due`] is
//! the loop that feeds it real answers and a real (or fake) clock.

use std::time::{Duration, Instant};

use crate::probe::spec::{ProbeKind, ProbeSpec};

/// What one probe said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The check passed: exit code 0, an HTTP status from 200 to 399, a TCP connection accepted.
    Success,
    /// Anything else, including no answer within `timeoutSeconds`.
    Failure,
}

/// What a worker currently believes: the value the kubelet's results manager publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeResult {
    /// No verdict yet (a startup probe before its first decisive run).
    Unknown,
    /// Started, alive or ready, depending on the kind.
    Success,
    /// Not started in time, not alive, or not ready.
    Failure,
}

impl ProbeKind {
    /// The result a worker holds before any probe has run, as the kubelet sets it.
    pub fn initial_result(self) -> ProbeResult {
        match self {
            // Traffic must wait until the application says it can take it.
            ProbeKind::Readiness => ProbeResult::Failure,
            // A container is not killed for a check that has not happened yet.
            ProbeKind::Liveness => ProbeResult::Success,
            // The application has neither started nor failed to.
            ProbeKind::Startup => ProbeResult::Unknown,
        }
    }
}

/// A worker's result changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Whose result.
    pub kind: ProbeKind,
    /// The result before.
    pub from: ProbeResult,
    /// The result now.
    pub to: ProbeResult,
}

/// What the runtime must do about a [`Transition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Startup succeeded: the container counts as started, liveness and readiness begin.
    MarkStarted,
    /// Readiness changed: the container's `ready` flag (and the Pod's `Ready` condition).
    SetReady(bool),
    /// Liveness or startup failed: kill the container. Its `restartPolicy` then decides whether
    /// it starts again (`Always` and `OnFailure` do, `Never` does not), with step 5's back-off.
    KillContainer,
}

impl Transition {
    /// The runtime's reaction to this change, if it needs one.
    pub fn action(&self) -> Option<Action> {
        match (self.kind, self.to) {
            (ProbeKind::Startup, ProbeResult::Success) => Some(Action::MarkStarted),
            (ProbeKind::Readiness, ProbeResult::Success) => Some(Action::SetReady(true)),
            (ProbeKind::Readiness, ProbeResult::Failure) => Some(Action::SetReady(false)),
            (ProbeKind::Startup | ProbeKind::Liveness, ProbeResult::Failure) => {
                Some(Action::KillContainer)
            }
            _ => None,
        }
    }
}

/// The state of one probe of one container.
#[derive(Debug, Clone)]
pub struct ProbeWorker {
    kind: ProbeKind,
    spec: ProbeSpec,
    /// When the container (this instance of it) started: the grid of probe times starts here.
    started_at: Instant,
    /// When the next probe is due.
    due_at: Instant,
    /// The published result.
    result: ProbeResult,
    /// The last answer, and how many answers in a row were the same (`resultRun` in the kubelet).
    last: Option<Outcome>,
    run: u32,
    /// Set when liveness or startup failed: the container is being killed, and probing it again
    /// until a new instance starts would only add noise. Cleared by [`ProbeWorker::restart`].
    on_hold: bool,
}

impl ProbeWorker {
    /// A worker for a container that started at `started_at`.
    ///
    /// A spec built by hand with a zero period or threshold is raised to 1 (second, answer): the
    /// apiserver's defaulting would have done the same, and a zero period would probe forever.
    pub fn new(kind: ProbeKind, mut spec: ProbeSpec, started_at: Instant) -> Self {
        spec.period = spec.period.max(Duration::from_secs(1));
        spec.success_threshold = spec.success_threshold.max(1);
        spec.failure_threshold = spec.failure_threshold.max(1);
        let mut worker = Self {
            kind,
            spec,
            started_at,
            due_at: started_at,
            result: kind.initial_result(),
            last: None,
            run: 0,
            on_hold: false,
        };
        worker.due_at = worker.next_due(None);
        worker
    }

    /// Which probe this is.
    pub fn kind(&self) -> ProbeKind {
        self.kind
    }

    /// Its spec (the handler to run, the timeout to give it).
    pub fn spec(&self) -> &ProbeSpec {
        &self.spec
    }

    /// The current result.
    pub fn result(&self) -> ProbeResult {
        self.result
    }

    /// When the next probe is due, or `None` while the worker is on hold.
    pub fn due_at(&self) -> Option<Instant> {
        (!self.on_hold).then_some(self.due_at)
    }

    /// Whether a probe should run at `now`.
    pub fn due(&self, now: Instant) -> bool {
        !self.on_hold && now >= self.due_at
    }

    /// Takes the answer of the probe that ran at `now`; returns the change of result, if any.
    pub fn record(&mut self, outcome: Outcome, now: Instant) -> Option<Transition> {
        self.due_at = self.next_due(Some(now));
        self.tally(outcome)
    }

    /// A new instance of the container started at `started_at` (after a kill, or a crash):
    /// everything starts over, from the initial result and a fresh grid.
    pub fn restart(&mut self, started_at: Instant) {
        *self = Self::new(self.kind, self.spec.clone(), started_at);
    }

    // ANCHOR: next_due
    /// When the probe after the one that ran at `last_probe` is due; with `None`, when the
    /// first probe is due.
    ///
    /// Probes sit on a grid: `started_at + initial_delay + k * period` for k = 0, 1, 2, ... The
    /// next probe is the first grid point strictly after `last_probe`, so a late probe does not
    /// shift the grid, and ticks missed while the caller was busy are skipped, not made up.
    fn next_due(&self, last_probe: Option<Instant>) -> Instant {
        // BEGIN SOLUTION step-6: schedule probes on the grid started_at + initial_delay + k * period (first grid point after the last probe)
        let first = self.started_at + self.spec.initial_delay;
        let Some(last_probe) = last_probe else {
            return first;
        };
        if last_probe < first {
            return first;
        }
        // How far past its grid point the last probe ran; the next point is one period after
        // that grid point. A probe exactly on a point is 0 past it, and the next is a period on.
        let since_first = last_probe - first;
        let past_grid = since_first.as_nanos() % self.spec.period.as_nanos();
        // The remainder is below one period (a few seconds in nanoseconds): it fits in a u64.
        last_probe + self.spec.period - Duration::from_nanos(past_grid as u64)
        // END SOLUTION
    }
    // ANCHOR_END: next_due

    // ANCHOR: tally
    /// Counts one answer and applies the thresholds; returns the transition when the result
    /// changes.
    ///
    /// The result becomes Success after `success_threshold` successes in a row, Failure after
    /// `failure_threshold` failures in a row; anything shorter leaves it as it was. When a
    /// liveness or startup result becomes Failure the container is going to be killed, so the
    /// worker goes on hold (no more probes) until [`ProbeWorker::restart`].
    fn tally(&mut self, outcome: Outcome) -> Option<Transition> {
        // BEGIN SOLUTION step-6: count consecutive equal answers, flip the result at the success/failure threshold, hold liveness and startup after a failure
        if self.last == Some(outcome) {
            self.run = self.run.saturating_add(1);
        } else {
            self.last = Some(outcome);
            self.run = 1;
        }
        let (threshold, result) = match outcome {
            Outcome::Success => (self.spec.success_threshold, ProbeResult::Success),
            Outcome::Failure => (self.spec.failure_threshold, ProbeResult::Failure),
        };
        if self.run < threshold {
            // Below the threshold: one bad answer does not make a container unhealthy.
            return None;
        }
        let from = self.result;
        self.result = result;
        if result == ProbeResult::Failure && self.kind != ProbeKind::Readiness {
            // The kubelet will kill this container; stop probing it (the kubelet does the same,
            // to avoid exec-ing into a container that is being torn down).
            self.on_hold = true;
            self.run = 0;
        }
        (from != result).then_some(Transition {
            kind: self.kind,
            from,
            to: result,
        })
        // END SOLUTION
    }
    // ANCHOR_END: tally
}
