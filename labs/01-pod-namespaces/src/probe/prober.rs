//! The probe loop's one iteration: run what is due, time it, record it.
//!
//! [`run_due`] is where the pure state machines ([`ProbeSet`], [`crate::probe::worker`]) meet
//! the real world: a [`Clock`] says what time it is, a [`Prober`] makes the checks. The runtime
//! (step 7) calls it on each turn of its loop for each running container and acts on the
//! transitions it returns; tests call it with a [`labkit::FakeClock`] and a scripted prober.
//!
//! Time comes from `labkit::Clock`, the kit's one clock trait (lab-01 depends on `labkit` for
//! it): the same trait step 5's back-off uses, so one fake clock drives a whole Pod in a test.

use std::path::PathBuf;

use labkit::Clock;

use crate::probe::exec::ExecRunner;
use crate::probe::handlers::{Answer, check_exec, check_http, check_tcp};
use crate::probe::netns::in_network_namespace;
use crate::probe::set::ProbeSet;
use crate::probe::spec::{Handler, ProbeKind, ProbeSpec};
use crate::probe::worker::{Outcome, Transition};

/// Makes one check as a spec describes it.
pub trait Prober {
    /// Runs the check of `spec` (a `kind` probe), giving it at most `spec.timeout`.
    fn check(&self, kind: ProbeKind, spec: &ProbeSpec) -> Answer;
}

/// The real checks of [`crate::probe::handlers`], with exec commands run by an [`ExecRunner`]
/// and network checks made from a Pod's network namespace when one is given.
#[derive(Debug, Clone)]
pub struct HandlerProber<E> {
    exec: E,
    netns: Option<PathBuf>,
}

impl<E: ExecRunner> HandlerProber<E> {
    /// Checks from the caller's own network namespace; `exec` runs the exec probes.
    pub fn new(exec: E) -> Self {
        Self { exec, netns: None }
    }

    /// Makes TCP and HTTP checks from the network namespace at `netns` (the Pod's, usually
    /// `/proc/<pause pid>/ns/net`).
    pub fn in_network_namespace(mut self, netns: impl Into<PathBuf>) -> Self {
        self.netns = Some(netns.into());
        self
    }

    /// Runs a network check where it belongs: here, or in the Pod's network namespace.
    fn on_network(&self, check: impl FnOnce() -> Answer + Send) -> Answer {
        match &self.netns {
            None => check(),
            Some(netns) => in_network_namespace(netns, check)
                .unwrap_or_else(|error| Answer::failure(format!("{error}: {}", cause(&error)))),
        }
    }
}

impl<E: ExecRunner> Prober for HandlerProber<E> {
    fn check(&self, _kind: ProbeKind, spec: &ProbeSpec) -> Answer {
        match &spec.handler {
            Handler::Exec { command } => check_exec(&self.exec, command, spec.timeout),
            Handler::TcpSocket { host, port } => {
                self.on_network(|| check_tcp(host, *port, spec.timeout))
            }
            Handler::HttpGet {
                host,
                port,
                path,
                headers,
                ..
            } => self.on_network(|| check_http(host, *port, path, headers, spec.timeout)),
        }
    }
}

/// The first cause of an error, as text.
fn cause(error: &dyn std::error::Error) -> String {
    error.source().map(ToString::to_string).unwrap_or_default()
}

// ANCHOR: run_due
/// Runs every probe of `set` that is due now, records the answers, and returns the transitions
/// in the order they happened.
///
/// A check that takes longer than its `timeout` by the clock is a failure, whatever it
/// answered: the kubelet gives up on it at the deadline. (The real handlers also stop at the
/// deadline themselves; this rule holds for any [`Prober`].)
pub fn run_due(set: &mut ProbeSet, prober: &dyn Prober, clock: &dyn Clock) -> Vec<Transition> {
    let mut transitions = Vec::new();
    for kind in set.due(clock.now()) {
        let Some(spec) = set.spec(kind) else {
            continue;
        };
        let started = clock.now();
        let mut answer = prober.check(kind, spec);
        let took = clock.now().saturating_duration_since(started);
        if took > spec.timeout {
            answer = Answer::failure(format!(
                "no answer within {:?} (took {took:?})",
                spec.timeout
            ));
        }
        tracing::debug!(?kind, outcome = ?answer.outcome, detail = %answer.detail, "probe ran");
        if answer.outcome == Outcome::Failure {
            tracing::info!(?kind, detail = %answer.detail, "probe failed");
        }
        if let Some(transition) = set.record(kind, answer.outcome, clock.now()) {
            tracing::info!(?kind, from = ?transition.from, to = ?transition.to, "probe result changed");
            transitions.push(transition);
        }
    }
    transitions
}
// ANCHOR_END: run_due
