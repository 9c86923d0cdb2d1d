//! Step 6: probes, how the runtime learns whether a container is started, alive and ready.
//!
//! A running process is not necessarily a working one: a server can be deadlocked, still
//! loading its data, or overloaded. Kubernetes lets each container declare up to three *probes*,
//! checks the kubelet makes periodically, and acts on what they find:
//!
//! | probe            | asks                         | on failure                        |
//! | ---------------- | ---------------------------- | --------------------------------- |
//! | `startupProbe`   | has it finished starting?    | kill (after `failureThreshold`)   |
//! | `livenessProbe`  | is it still healthy?         | kill; `restartPolicy` restarts it |
//! | `readinessProbe` | may it receive traffic now?  | not ready: out of the Services    |
//!
//! Each probe is one of three checks (`exec`, `httpGet`, `tcpSocket`) plus five timing numbers.
//!
//! # Modules, from the manifest to the verdict
//!
//! - [`spec`]: `v1.Probe` -> [`ProbeSpec`], with Kubernetes' defaults and validation.
//! - [`worker`]: one probe over time: its schedule and its thresholds ([`ProbeWorker`]), pure.
//! - [`set`]: a container's probes together; the startup probe gates the others ([`ProbeSet`]).
//! - [`handlers`]: the checks themselves: TCP connect, HTTP GET, exec.
//! - [`exec`]: the [`ExecRunner`] seam that step 7 implements, and [`HostExecRunner`].
//! - [`netns`]: making a network check from inside the Pod's network namespace.
//! - [`prober`]: [`run_due`], one turn of the probe loop over a clock and a [`Prober`].

pub mod exec;
pub mod handlers;
pub mod netns;
pub mod prober;
pub mod set;
pub mod spec;
pub mod worker;

pub use exec::{ExecError, ExecRunner, HostExecRunner};
pub use handlers::Answer;
pub use prober::{HandlerProber, Prober, run_due};
pub use set::ProbeSet;
pub use spec::{ContainerProbes, Handler, ProbeKind, ProbeSpec, SpecError};
pub use worker::{Action, Outcome, ProbeResult, ProbeWorker, Transition};
