//! The probes of one container together: the startup probe gates the other two.
//!
//! Each probe has its own [`ProbeWorker`], but they are not independent. A slow application
//! would be killed by its liveness probe before it ever finished starting, unless liveness
//! waited; that is what a startup probe is for. While a container has a startup probe that has
//! not yet succeeded, only the startup probe runs:
//!
//! ```text
//!                  container starts
//!                        │
//!                        ▼
//!        ┌──── startup probe ────┐  every periodSeconds, from initialDelaySeconds
//!        │                       │
//!   success (once)       failureThreshold failures in a row
//!        │                       │
//!        ▼                       ▼
//!   started = true          kill the container (restartPolicy decides what next)
//!   startup stops
//!   liveness and readiness run, each on its own schedule
//! ```
//!
//! A container without a startup probe counts as started at once. Readiness only means
//! something for a started container: `ready` is false until then, whatever its probe says.

use std::time::Instant;

use crate::probe::spec::{ContainerProbes, ProbeKind, ProbeSpec};
use crate::probe::worker::{Outcome, ProbeResult, ProbeWorker, Transition};

/// The workers of one container's probes.
#[derive(Debug, Clone)]
pub struct ProbeSet {
    startup: Option<ProbeWorker>,
    liveness: Option<ProbeWorker>,
    readiness: Option<ProbeWorker>,
}

impl ProbeSet {
    /// Workers for the probes a container has, which started at `started_at`.
    pub fn new(probes: &ContainerProbes, started_at: Instant) -> Self {
        let worker = |kind, spec: &Option<ProbeSpec>| {
            spec.as_ref()
                .map(|spec| ProbeWorker::new(kind, spec.clone(), started_at))
        };
        Self {
            startup: worker(ProbeKind::Startup, &probes.startup),
            liveness: worker(ProbeKind::Liveness, &probes.liveness),
            readiness: worker(ProbeKind::Readiness, &probes.readiness),
        }
    }

    /// The worker of one kind, if the container has that probe.
    pub fn worker(&self, kind: ProbeKind) -> Option<&ProbeWorker> {
        match kind {
            ProbeKind::Startup => self.startup.as_ref(),
            ProbeKind::Liveness => self.liveness.as_ref(),
            ProbeKind::Readiness => self.readiness.as_ref(),
        }
    }

    fn worker_mut(&mut self, kind: ProbeKind) -> Option<&mut ProbeWorker> {
        match kind {
            ProbeKind::Startup => self.startup.as_mut(),
            ProbeKind::Liveness => self.liveness.as_mut(),
            ProbeKind::Readiness => self.readiness.as_mut(),
        }
    }

    /// The spec of one kind, if the container has that probe.
    pub fn spec(&self, kind: ProbeKind) -> Option<&ProbeSpec> {
        self.worker(kind).map(ProbeWorker::spec)
    }

    /// `containerStatuses[].started`: no startup probe, or it has succeeded.
    pub fn started(&self) -> bool {
        self.startup
            .as_ref()
            .is_none_or(|startup| startup.result() == ProbeResult::Success)
    }

    /// `containerStatuses[].ready`: started, and no readiness probe or it says Success.
    pub fn ready(&self) -> bool {
        self.started()
            && self
                .readiness
                .as_ref()
                .is_none_or(|readiness| readiness.result() == ProbeResult::Success)
    }

    // ANCHOR: ungated
    /// The probes the startup gate lets run at all, whatever the time: the startup probe alone
    /// while it is defined and has not succeeded; afterwards (or without one) liveness and
    /// readiness, and never the finished startup probe again.
    fn ungated(&self) -> Vec<ProbeKind> {
        // BEGIN SOLUTION step-6: the startup gate: only an unfinished startup probe may run; once it succeeded (or without one) liveness and readiness run instead
        match &self.startup {
            // Not started yet: liveness and readiness wait, whatever their schedules say.
            Some(startup) if startup.result() != ProbeResult::Success => vec![ProbeKind::Startup],
            // Started (or no startup probe at all): the startup worker is finished for this
            // instance of the container, and the other two take over.
            _ => [&self.liveness, &self.readiness]
                .into_iter()
                .flatten()
                .map(ProbeWorker::kind)
                .collect(),
        }
        // END SOLUTION
    }
    // ANCHOR_END: ungated

    /// The probes to run at `now`, in the order startup, liveness, readiness: those the gate
    /// lets through and whose workers are due. (A worker on hold is never due.)
    pub fn due(&self, now: Instant) -> Vec<ProbeKind> {
        self.ungated()
            .into_iter()
            .filter(|&kind| self.worker(kind).is_some_and(|worker| worker.due(now)))
            .collect()
    }

    /// Takes the answer of a `kind` probe that ran at `now`. A kind the container has no probe
    /// of is ignored.
    pub fn record(
        &mut self,
        kind: ProbeKind,
        outcome: Outcome,
        now: Instant,
    ) -> Option<Transition> {
        self.worker_mut(kind)?.record(outcome, now)
    }

    /// A new instance of the container started: every worker starts over.
    pub fn restart(&mut self, started_at: Instant) {
        for worker in [&mut self.startup, &mut self.liveness, &mut self.readiness]
            .into_iter()
            .flatten()
        {
            worker.restart(started_at);
        }
    }

    /// The earliest time a probe the gate lets through is due, for a caller that wants to
    /// sleep until then; `None` when nothing will run again until a restart (a startup or
    /// liveness failure put the workers on hold).
    pub fn next_due_at(&self) -> Option<Instant> {
        self.ungated()
            .into_iter()
            .filter_map(|kind| self.worker(kind)?.due_at())
            .min()
    }
}
