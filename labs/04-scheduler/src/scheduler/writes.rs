//! One scheduling cycle of the loop and what it writes to the API server: the binding, the
//! pod's status (`PodScheduled=False`, `nominatedNodeName`), the victims' deletion, the events.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::{Binding, Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use lab_03::informer::Cache;
use serde_json::json;
use tokio::sync::Semaphore;

use super::Shared;
use crate::framework::{Profile, schedule_one};
use crate::preemption::preempt;
use crate::queue::{
    EventText, QueuedPodInfo, failed_scheduling_event, preempted_event, scheduled_event,
    unschedulable_condition,
};
use crate::snapshot::PodInfo;

/// How many bindings may be in flight at once. Upstream runs each binding cycle in a
/// goroutine of its own; a bound keeps a burst of pods from opening thousands of requests.
pub(crate) const MAX_BINDINGS_IN_FLIGHT: usize = 32;

/// The loop's side: its client, the shared state, the profile, and the pod cache (to see
/// whether a popped pod is still pending). Clones share everything.
#[derive(Clone)]
pub(crate) struct Writer {
    pub(crate) client: Client,
    pub(crate) shared: Shared,
    pub(crate) profile: Profile,
    pub(crate) preemption: bool,
    pub(crate) pods: Cache<Pod>,
    /// Permits for bindings in flight ([`MAX_BINDINGS_IN_FLIGHT`]).
    pub(crate) bindings: Arc<Semaphore>,
}

/// What the pure part of a cycle decided (computed under the lock, written without it).
enum Outcome {
    /// Bind to this node (already assumed in the snapshot).
    Bind(String),
    /// Fits nowhere: the message, and preemption's nominated node with its victims.
    Unschedulable {
        message: String,
        nominated: Option<(String, Vec<String>)>,
    },
}

impl Writer {
    // ANCHOR: schedule
    /// One cycle for `queued`: decide under the lock, then write to the API server.
    pub(crate) async fn schedule(&self, queued: QueuedPodInfo) {
        let pod = &queued.info;
        if self.already_handled(pod) {
            self.shared.lock().queue.done(&pod.key);
            return;
        }
        let outcome = {
            let mut guard = self.shared.lock();
            let state = &mut *guard;
            match schedule_one(&state.snapshot, pod, &self.profile, &mut state.cycle) {
                Ok(result) => match state.snapshot.assume(pod, &result.node) {
                    Ok(()) => Outcome::Bind(result.node),
                    Err(error) => {
                        tracing::warn!(pod = %pod.key, "cannot assume: {error}");
                        state.queue.add_backoff(&pod.key);
                        return;
                    }
                },
                Err(mut fit) => {
                    let preempted = self
                        .preemption
                        .then(|| preempt(&state.snapshot, pod, &self.profile, &fit));
                    let nominated = match preempted {
                        Some(Ok(p)) => Some((p.nominated_node_name, p.victims)),
                        Some(Err(no)) => {
                            fit.post_filter_message = Some(no.message);
                            None
                        }
                        None => None,
                    };
                    state.queue.add_unschedulable(&pod.key, &fit);
                    Outcome::Unschedulable {
                        message: fit.to_string(),
                        nominated,
                    }
                }
            }
        };
        match outcome {
            Outcome::Bind(node) => {
                // The binding cycle runs on its own, as upstream's: the pod is assumed in the
                // snapshot already, so the next cycle counts it while the POST is in flight.
                let Ok(permit) = self.bindings.clone().acquire_owned().await else {
                    return;
                };
                let writer = self.clone();
                let pod = pod.clone();
                tokio::spawn(async move {
                    writer.bind(&pod, &node).await;
                    drop(permit);
                });
            }
            Outcome::Unschedulable { message, nominated } => {
                if let Some((node, victims)) = nominated {
                    self.preempt(pod, &node, &victims).await;
                }
                self.report_unschedulable(pod, &message).await;
            }
        }
    }
    // ANCHOR_END: schedule

    /// True if the pod was deleted, bound by someone else, or is terminating meanwhile.
    fn already_handled(&self, pod: &PodInfo) -> bool {
        match self.pods.get(&pod.key) {
            None => true,
            Some(now) => {
                now.metadata.deletion_timestamp.is_some()
                    || now
                        .spec
                        .as_ref()
                        .and_then(|s| s.node_name.as_deref())
                        .is_some_and(|n| !n.is_empty())
            }
        }
    }

    fn pods(&self, pod: &PodInfo) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &namespace(pod))
    }

    // ANCHOR: bind
    /// POST pods/NAME/binding; on failure forget the assumed pod and retry after back-off.
    async fn bind(&self, pod: &PodInfo, node: &str) {
        let binding = Binding {
            metadata: ObjectMeta {
                name: pod.pod.metadata.name.clone(),
                namespace: pod.pod.metadata.namespace.clone(),
                uid: pod.pod.metadata.uid.clone(),
                ..ObjectMeta::default()
            },
            target: ObjectReference {
                kind: Some("Node".to_string()),
                api_version: Some("v1".to_string()),
                name: Some(node.to_string()),
                ..ObjectReference::default()
            },
        };
        let name = pod.pod.metadata.name.as_deref().unwrap_or_default();
        let bound: Result<serde_json::Value, kube::Error> = self
            .pods(pod)
            .create_subresource("binding", name, &PostParams::default(), &binding)
            .await;
        match bound {
            Ok(_) => {
                self.shared.lock().queue.done(&pod.key);
                tracing::info!(pod = %pod.key, node, "bound");
                self.event(pod, scheduled_event(&pod.key, node));
            }
            Err(error) => {
                tracing::warn!(pod = %pod.key, node, "binding failed: {error}");
                let mut state = self.shared.lock();
                state.snapshot.remove_pod(&pod.key);
                state.queue.add_backoff(&pod.key);
            }
        }
    }
    // ANCHOR_END: bind

    /// Deletes the victims (each told why by a Preempted event) and nominates the node.
    async fn preempt(&self, pod: &PodInfo, node: &str, victims: &[String]) {
        let preemptor = pod.pod.metadata.uid.clone().unwrap_or(pod.key.clone());
        for key in victims {
            let Some(victim) = self.pods.get(key) else {
                continue;
            };
            let Ok(info) = PodInfo::new((*victim).clone()) else {
                continue;
            };
            self.event(&info, preempted_event(&preemptor, node));
            let name = victim.metadata.name.as_deref().unwrap_or_default();
            if let Err(error) = self
                .pods(&info)
                .delete(name, &DeleteParams::default())
                .await
            {
                tracing::warn!(victim = %key, "cannot delete: {error}");
            }
        }
        let patch = json!({"status": {"nominatedNodeName": node}});
        self.patch_status(pod, &patch).await;
    }

    /// Sets `PodScheduled=False` with the message (unless it says so already) and posts the
    /// FailedScheduling event.
    async fn report_unschedulable(&self, pod: &PodInfo, message: &str) {
        let current = self.pods.get(&pod.key);
        let mut conditions = current
            .as_ref()
            .and_then(|p| p.status.as_ref())
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let same = conditions.iter().any(|c| {
            c.type_ == "PodScheduled"
                && c.status == "False"
                && c.message.as_deref() == Some(message)
        });
        if !same {
            conditions.retain(|c| c.type_ != "PodScheduled");
            conditions.push(unschedulable_condition(message, SystemTime::now()));
            let patch = json!({"status": {"conditions": conditions}});
            self.patch_status(pod, &patch).await;
        }
        self.event(pod, failed_scheduling_event(message));
    }

    async fn patch_status(&self, pod: &PodInfo, patch: &serde_json::Value) {
        let name = pod.pod.metadata.name.as_deref().unwrap_or_default();
        let patched = self
            .pods(pod)
            .patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
            .await;
        if let Err(error) = patched {
            tracing::warn!(pod = %pod.key, "cannot update the status: {error}");
        }
    }

    /// Posts a core/v1 Event about the pod (what `kubectl describe pod` lists), in the
    /// background: like client-go's event broadcaster, the scheduler does not wait for its
    /// events, so the next pod's cycle does not queue behind this one's Event.
    fn event(&self, pod: &PodInfo, text: EventText) {
        let now = SystemTime::now();
        let nanos = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let name = pod.pod.metadata.name.clone().unwrap_or_default();
        let event = Event {
            metadata: ObjectMeta {
                // Like client-go's recorder: the object's name and a unique hex suffix.
                name: Some(format!("{name}.{nanos:x}")),
                namespace: Some(namespace(pod)),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                api_version: Some("v1".to_string()),
                kind: Some("Pod".to_string()),
                name: Some(name),
                namespace: Some(namespace(pod)),
                uid: pod.pod.metadata.uid.clone(),
                ..ObjectReference::default()
            },
            reason: Some(text.reason.to_string()),
            message: Some(text.note),
            type_: Some(text.type_.to_string()),
            action: Some(text.action.to_string()),
            source: Some(EventSource {
                component: Some(self.profile.scheduler_name.clone()),
                host: None,
            }),
            reporting_component: Some(self.profile.scheduler_name.clone()),
            first_timestamp: Some(Time(timestamp(now))),
            last_timestamp: Some(Time(timestamp(now))),
            count: Some(1),
            ..Event::default()
        };
        let events: Api<Event> = Api::namespaced(self.client.clone(), &namespace(pod));
        let key = pod.key.clone();
        tokio::spawn(async move {
            if let Err(error) = events.create(&PostParams::default(), &event).await {
                tracing::warn!(pod = %key, "cannot post the event: {error}");
            }
        });
    }
}

fn namespace(pod: &PodInfo) -> String {
    pod.pod
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string())
}

/// `SystemTime` as jiff's timestamp (jiff's `std` feature is off).
fn timestamp(time: SystemTime) -> Timestamp {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp::new(
        since.as_secs().cast_signed(),
        since.subsec_nanos().cast_signed(),
    )
    .unwrap_or(Timestamp::MAX)
}
