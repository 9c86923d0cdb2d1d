//! Step 6: who may hold the leader Lease, decided over a `FakeClock`.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::LeaseSpec;
use lab_03::leaderelection::decide::{
    Attempt, micro_time, observe, released, try_acquire_or_renew,
};
use labkit::{Clock, FakeClock};

const DURATION: Duration = Duration::from_secs(15);

fn held_by(holder: &str, clock: &FakeClock, transitions: i32) -> LeaseSpec {
    LeaseSpec {
        holder_identity: Some(holder.to_owned()),
        lease_duration_seconds: Some(15),
        acquire_time: Some(micro_time(clock.wall())),
        renew_time: Some(micro_time(clock.wall())),
        lease_transitions: Some(transitions),
        ..LeaseSpec::default()
    }
}

fn spec_of(attempt: Attempt) -> LeaseSpec {
    match attempt {
        Attempt::Create(spec) | Attempt::Update(spec) => spec,
        Attempt::Wait { holder } => panic!("expected a write, got a wait for {holder}"),
    }
}

#[test]
fn step6_without_a_lease_the_candidate_creates_one_it_holds() {
    let clock = FakeClock::default();
    let attempt = try_acquire_or_renew(None, None, "b", DURATION, clock.now(), clock.wall());
    let Attempt::Create(spec) = attempt else {
        panic!("expected a create, got {attempt:?}");
    };
    assert_eq!(spec.holder_identity.as_deref(), Some("b"));
    assert_eq!(spec.lease_duration_seconds, Some(15));
    assert_eq!(spec.lease_transitions, Some(0));
    assert_eq!(spec.acquire_time, Some(micro_time(clock.wall())));
    assert_eq!(spec.renew_time, spec.acquire_time);
}

#[test]
fn step6_a_valid_lease_of_another_candidate_is_left_alone() {
    let clock = FakeClock::default();
    let lease = held_by("a", &clock, 0);
    let observed = observe(None, &lease, clock.now());
    clock.advance(Duration::from_secs(14));
    let seen = observe(Some(&observed), &lease, clock.now());
    assert_eq!(
        try_acquire_or_renew(
            Some(&lease),
            Some(&seen),
            "b",
            DURATION,
            clock.now(),
            clock.wall()
        ),
        Attempt::Wait {
            holder: "a".to_owned()
        }
    );
}

#[test]
fn step6_an_expired_lease_is_taken_over_with_one_more_transition() {
    let clock = FakeClock::default();
    let lease = held_by("a", &clock, 3);
    let observed = observe(None, &lease, clock.now());
    clock.advance(Duration::from_secs(16));
    let seen = observe(Some(&observed), &lease, clock.now());
    let spec = spec_of(try_acquire_or_renew(
        Some(&lease),
        Some(&seen),
        "b",
        DURATION,
        clock.now(),
        clock.wall(),
    ));
    assert_eq!(spec.holder_identity.as_deref(), Some("b"));
    assert_eq!(spec.lease_transitions, Some(4));
    assert_eq!(spec.acquire_time, Some(micro_time(clock.wall())));
    assert_eq!(spec.renew_time, Some(micro_time(clock.wall())));
}

#[test]
fn step6_expiry_counts_from_when_the_candidate_saw_the_last_renewal() {
    // The leader's renewTime may come from a clock that is off: only changes count.
    let clock = FakeClock::default();
    let mut lease = held_by("a", &clock, 0);
    let observed = observe(None, &lease, clock.now());
    clock.advance(Duration::from_secs(10));
    lease.renew_time = Some(micro_time(clock.wall() - Duration::from_secs(3600)));
    let observed = observe(Some(&observed), &lease, clock.now());
    clock.advance(Duration::from_secs(10));
    let seen = observe(Some(&observed), &lease, clock.now());
    assert_eq!(
        try_acquire_or_renew(
            Some(&lease),
            Some(&seen),
            "b",
            DURATION,
            clock.now(),
            clock.wall()
        ),
        Attempt::Wait {
            holder: "a".to_owned()
        },
        "renewed 10 s ago as the candidate saw it, whatever renewTime says"
    );
}

#[test]
fn step6_the_leader_renews_keeping_acquire_time_and_transitions() {
    let clock = FakeClock::default();
    let lease = held_by("a", &clock, 2);
    let observed = observe(None, &lease, clock.now());
    clock.advance(Duration::from_secs(2));
    let spec = spec_of(try_acquire_or_renew(
        Some(&lease),
        Some(&observed),
        "a",
        DURATION,
        clock.now(),
        clock.wall(),
    ));
    assert_eq!(spec.holder_identity.as_deref(), Some("a"));
    assert_eq!(spec.acquire_time, lease.acquire_time);
    assert_eq!(spec.lease_transitions, Some(2));
    assert_eq!(spec.renew_time, Some(micro_time(clock.wall())));
}

#[test]
fn step6_a_released_lease_is_taken_at_once() {
    let clock = FakeClock::default();
    let lease = released(&held_by("a", &clock, 1), clock.wall());
    assert_eq!(lease.holder_identity, None);
    assert_eq!(lease.lease_duration_seconds, Some(1));
    let observed = observe(None, &lease, clock.now());
    let spec = spec_of(try_acquire_or_renew(
        Some(&lease),
        Some(&observed),
        "b",
        DURATION,
        clock.now(),
        clock.wall(),
    ));
    assert_eq!(spec.holder_identity.as_deref(), Some("b"));
    assert_eq!(spec.lease_transitions, Some(2));
}
