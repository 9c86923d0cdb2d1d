//! The leader election's decisions, as pure functions of the Lease and the time (client-go
//! `tools/leaderelection`, `tryAcquireOrRenew`).
//!
//! The Lease `kube-system/kube-controller-manager` says who leads:
//!
//! ```text
//! spec:
//!   holderIdentity: node-a_5f2c...     # the leader
//!   leaseDurationSeconds: 15           # how long others wait after its last renewal
//!   acquireTime: ...                   # when it became leader
//!   renewTime: ...                     # its last renewal
//!   leaseTransitions: 3                # how many times leadership changed hands
//! ```
//!
//! A candidate does not compare `renewTime` with its own clock (the leader's clock may be
//! off): it records *when it saw* the Lease change, on its own monotonic clock, and takes the
//! Lease over only when it has seen no change for `leaseDurationSeconds`. Every write is an
//! update conditional on the `resourceVersion` it read, so when two candidates try at once,
//! one wins and the other gets 409 Conflict.

use std::time::{Duration, Instant, SystemTime};

use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;

/// Upstream's default `--leader-elect-lease-duration`.
pub const DEFAULT_LEASE_DURATION: Duration = Duration::from_secs(15);
/// Upstream's default `--leader-elect-renew-deadline`.
pub const DEFAULT_RENEW_DEADLINE: Duration = Duration::from_secs(10);
/// Upstream's default `--leader-elect-retry-period`.
pub const DEFAULT_RETRY_PERIOD: Duration = Duration::from_secs(2);

// ANCHOR: observed
/// The Lease as this candidate last saw it, and when it saw it change (client-go's
/// `observedRecord` and `observedTime`).
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The Lease's spec.
    pub spec: LeaseSpec,
    /// When (on this candidate's monotonic clock) the spec was first seen as it is.
    pub at: Instant,
}

/// What one attempt does with the Lease.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// There is no Lease: create it with this spec.
    Create(LeaseSpec),
    /// Write this spec (renewing our own lease or taking over an expired one), conditional
    /// on the resourceVersion read.
    Update(LeaseSpec),
    /// Another candidate holds a valid lease: do nothing, try again later.
    Wait {
        /// The current leader.
        holder: String,
    },
}
// ANCHOR_END: observed

/// Records the Lease `spec` seen at `now`: the observation time moves only when the spec
/// differs from the one seen before.
pub fn observe(previous: Option<&Observed>, spec: &LeaseSpec, now: Instant) -> Observed {
    match previous {
        Some(previous) if previous.spec == *spec => previous.clone(),
        _ => Observed {
            spec: spec.clone(),
            at: now,
        },
    }
}

/// A `SystemTime` as a `MicroTime` (the Lease's timestamps have microseconds).
pub fn micro_time(time: SystemTime) -> MicroTime {
    let timestamp = k8s_openapi::jiff::Timestamp::try_from(time).unwrap_or_default();
    // The API keeps microseconds: round down to them so what we write is what we read back.
    let micros = timestamp.as_microsecond();
    MicroTime(k8s_openapi::jiff::Timestamp::from_microsecond(micros).unwrap_or_default())
}

// ANCHOR: try_acquire_or_renew
/// One attempt of candidate `identity` at `now` (`wall` is the same instant as a date), given
/// the Lease's current spec (`None`: there is no Lease) and what the candidate observed of it
/// ([`observe`] it first). `lease_duration` is what a new or taken-over Lease promises.
///
/// - No Lease: create one held by us (`acquireTime` = `renewTime` = now, 0 transitions).
/// - Held by someone else, and we have seen it change within its `leaseDurationSeconds`:
///   wait.
/// - Held by us: renew (`renewTime` = now; `acquireTime` and `leaseTransitions` stay).
/// - Otherwise (expired, or released: no holder): take it over (`acquireTime` = `renewTime` =
///   now, `leaseTransitions` + 1).
pub fn try_acquire_or_renew(
    current: Option<&LeaseSpec>,
    observed: Option<&Observed>,
    identity: &str,
    lease_duration: Duration,
    now: Instant,
    wall: SystemTime,
) -> Attempt {
    // ANCHOR_END: try_acquire_or_renew
    // BEGIN SOLUTION step-6: no lease -> Create; another holder still valid (observed.at + its duration > now) -> Wait; ours -> renew; else take over with transitions + 1
    let seconds = i32::try_from(lease_duration.as_secs()).unwrap_or(i32::MAX);
    let ours = |acquire_time, transitions| LeaseSpec {
        holder_identity: Some(identity.to_owned()),
        lease_duration_seconds: Some(seconds),
        acquire_time: Some(acquire_time),
        renew_time: Some(micro_time(wall)),
        lease_transitions: Some(transitions),
        ..LeaseSpec::default()
    };
    let Some(current) = current else {
        return Attempt::Create(ours(micro_time(wall), 0));
    };
    let holder = current.holder_identity.as_deref().unwrap_or_default();
    let transitions = current.lease_transitions.unwrap_or(0);
    if holder == identity {
        let acquired = current
            .acquire_time
            .clone()
            .unwrap_or_else(|| micro_time(wall));
        return Attempt::Update(ours(acquired, transitions));
    }
    if !holder.is_empty() {
        let their_duration = current.lease_duration_seconds.map_or(lease_duration, |s| {
            Duration::from_secs(u64::from(s.unsigned_abs()))
        });
        let valid = observed.is_none_or(|observed| observed.at + their_duration > now);
        if valid {
            return Attempt::Wait {
                holder: holder.to_owned(),
            };
        }
    }
    Attempt::Update(ours(micro_time(wall), transitions.saturating_add(1)))
    // END SOLUTION
}

/// The spec a leader writes when it steps down cleanly (client-go `release`): no holder and a
/// 1-second duration, so the others take over at their next attempt instead of waiting a
/// whole lease duration.
pub fn released(current: &LeaseSpec, wall: SystemTime) -> LeaseSpec {
    LeaseSpec {
        holder_identity: None,
        lease_duration_seconds: Some(1),
        acquire_time: Some(micro_time(wall)),
        renew_time: Some(micro_time(wall)),
        lease_transitions: current.lease_transitions,
        ..LeaseSpec::default()
    }
}
