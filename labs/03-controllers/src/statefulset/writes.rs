//! The StatefulSet controller's writes: the pods and claims one sync's [`Actions`] ask for,
//! each reported as an Event the way upstream does (`kubectl describe sts` shows them).

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::Api;
use kube::api::{DeleteParams, PostParams, Preconditions};

use super::decide::Actions;
use super::identity::{self, claims, new_pod};
use super::status::revision_template;
use super::{StatefulSetController, SyncError, SyncRevisions, already_done};
use crate::events::EventType;
use crate::history;
use crate::request::request_failed;

impl StatefulSetController {
    /// Carries out `actions`: deletions (each of the incarnation we saw), then creations,
    /// each pod after its claims.
    pub(super) async fn act(
        &self,
        set: &StatefulSet,
        revisions: &SyncRevisions,
        actions: &Actions,
    ) -> Result<(), SyncError> {
        let namespace = set.metadata.namespace.as_deref().unwrap_or_default();
        let pods = Api::<Pod>::namespaced(self.client.clone(), namespace);
        for pod in &actions.delete {
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            let params = DeleteParams {
                preconditions: Some(Preconditions {
                    uid: pod.metadata.uid.clone(),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            let result = pods.delete(name, &params).await.map(|_| ());
            self.record(
                set,
                "Delete",
                &format!("Pod {name}"),
                "successful",
                result.as_ref().err(),
            )
            .await;
            match result {
                Err(error) if !already_done(&error) => {
                    return Err(request_failed(format!("deleting pod {namespace}/{name}"))(
                        error,
                    ));
                }
                _ => {}
            }
        }
        let claims_api = Api::<PersistentVolumeClaim>::namespaced(self.client.clone(), namespace);
        let set_name = set.metadata.name.as_deref().unwrap_or_default();
        for create in &actions.create {
            for claim in claims(set, create.ordinal) {
                // A claim that exists is the pod's storage from before: it stays as it is.
                let claim_name = claim.metadata.name.clone().unwrap_or_default();
                let result = claims_api.create(&PostParams::default(), &claim).await;
                if !result.as_ref().is_err_and(already_done) {
                    let pod = identity::pod_name(set_name, create.ordinal);
                    let what = format!("Claim {claim_name} Pod {pod}");
                    self.record(set, "Create", &what, "success", result.as_ref().err())
                        .await;
                }
                match result {
                    Err(error) if !already_done(&error) => {
                        return Err(request_failed(format!("creating claim {claim_name}"))(
                            error,
                        ));
                    }
                    _ => {}
                }
            }
            let revision = if create.revision.as_str()
                == revisions
                    .current
                    .metadata
                    .name
                    .as_deref()
                    .unwrap_or_default()
            {
                &revisions.current
            } else {
                &revisions.update
            };
            let template = revision_template(history::data_of(revision))
                .or_else(|| set.spec.as_ref().map(|s| s.template.clone()))
                .unwrap_or_default();
            let pod = new_pod(set, &template, &create.revision, create.ordinal);
            let name = pod.metadata.name.clone().unwrap_or_default();
            let result = pods.create(&PostParams::default(), &pod).await.map(|_| ());
            if !result.as_ref().is_err_and(already_done) {
                self.record(
                    set,
                    "Create",
                    &format!("Pod {name}"),
                    "successful",
                    result.as_ref().err(),
                )
                .await;
            }
            match result {
                Err(error) if !already_done(&error) => {
                    return Err(request_failed(format!("creating pod {namespace}/{name}"))(
                        error,
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Records what a write did to `what` (upstream `recordPodEvent` and `recordClaimEvent`):
    /// `SuccessfulCreate` "create Pod web-0 in StatefulSet web successful" (claims say
    /// "success"), or a warning `FailedCreate` with the error.
    async fn record(
        &self,
        set: &StatefulSet,
        verb: &str,
        what: &str,
        success: &str,
        error: Option<&kube::Error>,
    ) {
        let set_name = set.metadata.name.as_deref().unwrap_or_default();
        let action = format!("{} {what} in StatefulSet {set_name}", verb.to_lowercase());
        let (event_type, reason, message) = match error {
            None => (
                EventType::Normal,
                format!("Successful{verb}"),
                format!("{action} {success}"),
            ),
            Some(error) => (
                EventType::Warning,
                format!("Failed{verb}"),
                format!("{action} failed error: {error}"),
            ),
        };
        tracing::info!(statefulset = set_name, "{message}");
        self.events.record(set, event_type, &reason, &message).await;
    }
}
