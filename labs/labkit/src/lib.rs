//! `labkit`: the test support every lab shares.
//!
//! Lab tests are the course's specification, so they must be honest: a test that cannot run on
//! this machine says so instead of passing, waits by polling a condition instead of sleeping, and
//! uses a fake clock where time matters. This crate holds those pieces once.
//!
//! # Layout
//! - [`not_run`]: the [`NotRun`] value and the [`require!`] macro that turn "this machine cannot
//!   run me" into a visible "not run: needs ..." that `cargo xtask grade` reports.
//! - [`host`]: probes of the host: [`host_binary`], [`privileged`] (root or user namespaces)
//!   and [`root`].
//! - [`poll`]: [`poll_until`], the only sanctioned way for a test to wait.
//! - [`clock`]: the [`Clock`] trait with [`SystemClock`] and [`FakeClock`].
//! - [`etcd`]: [`Etcd`], a real etcd on a free loopback port with a temporary data directory.
//! - [`kubectl`]: [`Kubectl`], real kubectl of a chosen version with a fresh `HOME`.
//! - [`trace`]: [`init_tracing`], once per test binary.
//!
//! Start with [`require!`]: most privileged tests open with it.

pub mod clock;
pub mod etcd;
pub mod host;
pub mod kubectl;
pub mod not_run;
pub mod poll;
pub mod trace;

pub use clock::{Clock, FakeClock, SystemClock};
pub use etcd::Etcd;
pub use host::{Privileges, host_binary, privileged, root};
pub use kubectl::{Kubectl, KubectlOutput};
pub use not_run::NotRun;
pub use poll::poll_until;
pub use trace::init_tracing;
