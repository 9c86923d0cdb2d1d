//! Step 4: the scheduling queue. Time is a `FakeClock`, so back-off and the five-minute flush
//! are checked to the millisecond without waiting.

use std::time::Duration;

use lab_04::framework::{FitError, Rejection};
use lab_04::queue::{
    ClusterEvent, NodeChange, Place, QueueConfig, SchedulingQueue, failed_scheduling_event,
    is_ours, preempted_event, scheduled_event, unschedulable_condition,
};
use labkit::{Clock, FakeClock};

use crate::support::pod;

fn queue() -> (FakeClock, SchedulingQueue<FakeClock>) {
    let clock = FakeClock::default();
    (
        clock.clone(),
        SchedulingQueue::new(clock, QueueConfig::default()),
    )
}

fn pending(name: &str, priority: i32) -> k8s_openapi::api::core::v1::Pod {
    pod(&format!(
        "metadata: {{name: {name}, namespace: default}}\n\
         spec: {{priority: {priority}, containers: [{{name: c, image: busybox}}]}}"
    ))
}

fn rejected_by(plugin: &'static str, reason: &str) -> FitError {
    FitError::new(
        "default/p".into(),
        1,
        vec![("node-1".into(), Rejection::unschedulable(plugin, reason))],
    )
}

fn pop_name(queue: &mut SchedulingQueue<FakeClock>) -> Option<String> {
    queue.pop().map(|p| p.info.key.clone())
}

#[test]
fn step4_queue_pops_higher_priority_first_then_the_oldest() {
    let (clock, mut queue) = queue();
    for (name, priority) in [("low", 0), ("high-old", 100), ("mid", 50)] {
        assert!(queue.add(pending(name, priority)).unwrap());
        clock.advance(Duration::from_millis(10));
    }
    assert!(queue.add(pending("high-new", 100)).unwrap());
    let order: Vec<String> = std::iter::from_fn(|| pop_name(&mut queue)).collect();
    assert_eq!(
        order,
        [
            "default/high-old",
            "default/high-new",
            "default/mid",
            "default/low"
        ]
    );
}

#[test]
fn step4_queue_takes_only_pending_pods_with_our_scheduler_name() {
    let (_, mut queue) = queue();
    let other = pod("metadata: {name: other}\nspec: {schedulerName: my-scheduler, containers: []}");
    let bound = pod("metadata: {name: bound}\nspec: {nodeName: node-1, containers: []}");
    let explicit =
        pod("metadata: {name: explicit}\nspec: {schedulerName: default-scheduler, containers: []}");
    assert!(!is_ours(&other, "default-scheduler"));
    assert!(is_ours(&other, "my-scheduler"));
    assert!(!queue.add(other).unwrap());
    assert!(!queue.add(bound).unwrap());
    assert!(queue.add(explicit).unwrap());
    assert!(queue.add(pending("implicit", 0)).unwrap());
    assert_eq!(queue.counts().active, 2);
    let mut mine = SchedulingQueue::new(
        FakeClock::default(),
        QueueConfig {
            scheduler_name: "my-scheduler".into(),
            ..QueueConfig::default()
        },
    );
    assert!(!mine.add(pending("implicit", 0)).unwrap());
}

#[test]
fn step4_backoff_is_one_second_doubling_up_to_ten() {
    let (_, queue) = queue();
    let seconds: Vec<f64> = (1..=6)
        .map(|a| queue.backoff_duration(a).as_secs_f64())
        .collect();
    assert_eq!(seconds, [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]);
    assert_eq!(queue.backoff_duration(100), Duration::from_secs(10));
}

#[test]
fn step4_unschedulable_pod_waits_for_an_event_that_can_help_it() {
    let (clock, mut queue) = queue();
    queue.add(pending("big", 0)).unwrap();
    let popped = queue.pop().unwrap();
    assert_eq!(popped.attempts, 1);
    assert!(queue.add_unschedulable(
        &popped.info.key,
        &rejected_by("NodeResourcesFit", "Insufficient cpu")
    ));
    assert_eq!(queue.place("default/big"), Some(Place::Unschedulable));
    // New labels or taints cannot give a pod more CPU.
    queue.move_all_on_event(ClusterEvent::NodeUpdated(NodeChange {
        labels: true,
        taints: true,
        ..NodeChange::default()
    }));
    assert_eq!(queue.place("default/big"), Some(Place::Unschedulable));
    clock.advance(Duration::from_secs(60));
    assert_eq!(pop_name(&mut queue), None);
    // More allocatable can: the pod's 1 s back-off is long over, so it is active at once.
    queue.move_all_on_event(ClusterEvent::NodeUpdated(NodeChange {
        allocatable: true,
        ..NodeChange::default()
    }));
    assert_eq!(queue.place("default/big"), Some(Place::Active));
    let again = queue.pop().unwrap();
    assert_eq!(again.attempts, 2);
    assert_eq!(
        again
            .unschedulable_plugins
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        ["NodeResourcesFit"]
    );
}

#[test]
fn step4_event_soon_after_the_failure_moves_the_pod_to_backoff_until_it_expires() {
    let (clock, mut queue) = queue();
    queue.add(pending("p", 0)).unwrap();
    let mut popped = queue.pop().unwrap();
    for attempt in 1..=3u32 {
        queue.add_unschedulable(&popped.info.key, &rejected_by("TaintToleration", "taint"));
        // A node was added: the pod goes to backoffQ for 1, 2, then 4 seconds.
        queue.move_all_on_event(ClusterEvent::NodeAdded);
        assert_eq!(queue.place("default/p"), Some(Place::Backoff));
        let backoff = Duration::from_secs(1 << (attempt - 1));
        clock.advance(backoff - Duration::from_millis(1));
        assert_eq!(
            pop_name(&mut queue),
            None,
            "attempt {attempt}: still backing off"
        );
        clock.advance(Duration::from_millis(1));
        popped = queue.pop().expect("the back-off is over");
        assert_eq!(popped.attempts, attempt + 1);
    }
}

#[test]
fn step4_event_during_the_cycle_sends_the_failed_pod_to_backoff_not_unschedulable() {
    let (clock, mut queue) = queue();
    queue.add(pending("p", 0)).unwrap();
    let popped = queue.pop().unwrap();
    // While the cycle ran on an old snapshot, a pod was deleted: it may have freed the room.
    queue.move_all_on_event(ClusterEvent::AssignedPodDeleted);
    queue.add_unschedulable(
        &popped.info.key,
        &rejected_by("NodeResourcesFit", "Insufficient cpu"),
    );
    assert_eq!(queue.place("default/p"), Some(Place::Backoff));
    clock.advance(Duration::from_secs(1));
    assert_eq!(pop_name(&mut queue).as_deref(), Some("default/p"));
}

#[test]
fn step4_pod_deletion_helps_resource_failures_but_not_taint_failures() {
    let (_, mut queue) = queue();
    queue.add(pending("needs-cpu", 0)).unwrap();
    queue.add(pending("needs-toleration", 0)).unwrap();
    let a = queue.pop().unwrap();
    let b = queue.pop().unwrap();
    let fit = |name: &str| {
        if name == "default/needs-cpu" {
            rejected_by("NodeResourcesFit", "Insufficient cpu")
        } else {
            rejected_by("TaintToleration", "node(s) had untolerated taint {a: b}")
        }
    };
    queue.add_unschedulable(&a.info.key, &fit(&a.info.key));
    queue.add_unschedulable(&b.info.key, &fit(&b.info.key));
    queue.move_all_on_event(ClusterEvent::AssignedPodDeleted);
    assert_eq!(queue.place("default/needs-cpu"), Some(Place::Backoff));
    assert_eq!(
        queue.place("default/needs-toleration"),
        Some(Place::Unschedulable)
    );
}

#[test]
fn step4_unschedulable_pods_are_retried_after_five_minutes_anyway() {
    let (clock, mut queue) = queue();
    queue.add(pending("p", 0)).unwrap();
    let popped = queue.pop().unwrap();
    queue.add_unschedulable(&popped.info.key, &rejected_by("NodeAffinity", "no match"));
    clock.advance(Duration::from_secs(300));
    assert_eq!(
        pop_name(&mut queue),
        None,
        "five minutes is not more than five minutes"
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(pop_name(&mut queue).as_deref(), Some("default/p"));
}

#[test]
fn step4_update_delete_and_done_keep_the_queue_consistent() {
    let (clock, mut queue) = queue();
    queue.add(pending("p", 0)).unwrap();
    queue.add(pending("q", 0)).unwrap();
    // Raising q's priority moves it ahead of p.
    queue.update(pending("q", 10)).unwrap();
    let q = queue.pop().unwrap();
    assert_eq!(q.info.key, "default/q");
    queue.done(&q.info.key);
    assert_eq!(queue.place("default/q"), None);
    let p = queue.pop().unwrap();
    queue.add_unschedulable(&p.info.key, &rejected_by("NodeAffinity", "no match"));
    clock.advance(Duration::from_secs(5));
    // A new nodeSelector may fit somewhere: the updated pod leaves unschedulablePods.
    let mut changed = pending("p", 0);
    changed.spec.as_mut().unwrap().node_selector =
        Some([("zone".to_string(), "b".to_string())].into());
    queue.update(changed).unwrap();
    assert_eq!(queue.place("default/p"), Some(Place::Active));
    assert!(queue.delete("default/p"));
    assert_eq!(pop_name(&mut queue), None);
    // A pod deleted while in flight is not put back.
    queue.add(pending("r", 0)).unwrap();
    let r = queue.pop().unwrap();
    queue.delete(&r.info.key);
    assert!(!queue.add_unschedulable(&r.info.key, &rejected_by("NodeAffinity", "x")));
}

#[test]
fn step4_failure_condition_and_events_read_like_the_real_scheduler() {
    let clock = FakeClock::default();
    let message = "0/3 nodes are available: 3 Insufficient cpu.";
    let condition = unschedulable_condition(message, clock.wall());
    assert_eq!(condition.type_, "PodScheduled");
    assert_eq!(condition.status, "False");
    assert_eq!(condition.reason.as_deref(), Some("Unschedulable"));
    assert_eq!(condition.message.as_deref(), Some(message));
    assert_eq!(
        condition.last_transition_time.map(|t| t.0.to_string()),
        Some("2024-01-01T00:00:00Z".to_string())
    );
    let event = failed_scheduling_event(message);
    assert_eq!(
        (event.type_, event.reason, event.note.as_str()),
        ("Warning", "FailedScheduling", message)
    );
    assert_eq!(
        scheduled_event("default/web", "node-1").note,
        "Successfully assigned default/web to node-1"
    );
    assert_eq!(failed_scheduling_event(&"x".repeat(5000)).note.len(), 1024);
    let preempted = preempted_event("0b6c-uid", "node-1");
    assert_eq!(
        (preempted.type_, preempted.reason, preempted.note.as_str()),
        (
            "Normal",
            "Preempted",
            "Preempted by pod 0b6c-uid on node node-1"
        )
    );
}
