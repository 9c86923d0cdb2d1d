//! What the loop writes back when a cycle ends: the pod's `PodScheduled` condition and the
//! events, worded as kube-scheduler words them. Pure: the loop posts them.

use std::time::SystemTime;

use k8s_openapi::api::core::v1::PodCondition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// An event's longest note: longer messages are cut (`truncateMessage` upstream).
pub const MAX_EVENT_NOTE: usize = 1024;

/// The text of one event (events.k8s.io/v1: `type`, `reason`, `action`, `note`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventText {
    /// `Normal` or `Warning`.
    pub type_: &'static str,
    /// `Scheduled`, `FailedScheduling`, `Preempted`.
    pub reason: &'static str,
    /// What the scheduler was doing: `Binding`, `Scheduling`, `Preempting`.
    pub action: &'static str,
    /// The human message.
    pub note: String,
}

/// The condition a pod that fits nowhere gets: `PodScheduled=False`, reason `Unschedulable`,
/// the message being the FitError's text (with its preemption part).
pub fn unschedulable_condition(message: &str, now: SystemTime) -> PodCondition {
    PodCondition {
        type_: "PodScheduled".to_string(),
        status: "False".to_string(),
        reason: Some("Unschedulable".to_string()),
        message: Some(message.to_string()),
        last_transition_time: Some(Time(timestamp(now))),
        ..PodCondition::default()
    }
}

/// The warning event of a failed cycle.
pub fn failed_scheduling_event(message: &str) -> EventText {
    EventText {
        type_: "Warning",
        reason: "FailedScheduling",
        action: "Scheduling",
        note: truncate(message),
    }
}

/// The event of a successful binding: "Successfully assigned default/web to node-1".
pub fn scheduled_event(pod_key: &str, node: &str) -> EventText {
    EventText {
        type_: "Normal",
        reason: "Scheduled",
        action: "Binding",
        note: format!("Successfully assigned {pod_key} to {node}"),
    }
}

/// The event on each victim of a preemption: "Preempted by pod `UID` on node node-1"
/// (`preemptor` is the preemptor's UID, or its key when it has none).
pub fn preempted_event(preemptor: &str, node: &str) -> EventText {
    EventText {
        type_: "Normal",
        reason: "Preempted",
        action: "Preempting",
        note: format!("Preempted by pod {preemptor} on node {node}"),
    }
}

/// `SystemTime` as jiff's timestamp (jiff's `std` feature, which would convert, is off).
fn timestamp(time: SystemTime) -> Timestamp {
    let since_epoch = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::new(
        since_epoch.as_secs().cast_signed(),
        since_epoch.subsec_nanos().cast_signed(),
    )
    .unwrap_or(Timestamp::MAX)
}

fn truncate(message: &str) -> String {
    if message.len() <= MAX_EVENT_NOTE {
        return message.to_string();
    }
    let mut end = MAX_EVENT_NOTE - 3;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &message[..end])
}
