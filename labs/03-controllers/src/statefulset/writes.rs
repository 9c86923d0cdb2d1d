//! The StatefulSet controller's writes: the pods and claims one sync's [`Actions`] ask for,
//! each reported as an Event the way upstream does (`kubectl describe sts` shows them).

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::Api;
use kube::api::PostParams;

use super::decide::Actions;
use super::identity::{self, claims, new_pod};
use super::status::revision_template;
use super::{StatefulSetController, SyncError, SyncRevisions, already_done};
use crate::events::EventType;
use crate::history;
use crate::podcontrol::only_this_pod;
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
            let result = pods.delete(name, &only_this_pod(pod)).await.map(|_| ());
            let failed = format!("deleting pod {namespace}/{name}");
            self.recorded(
                set,
                "Delete",
                &format!("Pod {name}"),
                "successful",
                result,
                failed,
            )
            .await?;
        }
        let claims_api = Api::<PersistentVolumeClaim>::namespaced(self.client.clone(), namespace);
        let set_name = set.metadata.name.as_deref().unwrap_or_default();
        for create in &actions.create {
            for claim in claims(set, create.ordinal) {
                // A claim that exists is the pod's storage from before: it stays as it is.
                let claim_name = claim.metadata.name.clone().unwrap_or_default();
                let result = claims_api.create(&PostParams::default(), &claim).await;
                let pod = identity::pod_name(set_name, create.ordinal);
                let what = format!("Claim {claim_name} Pod {pod}");
                let failed = format!("creating claim {claim_name}");
                self.recorded(set, "Create", &what, "success", result.map(|_| ()), failed)
                    .await?;
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
            let failed = format!("creating pod {namespace}/{name}");
            self.recorded(
                set,
                "Create",
                &format!("Pod {name}"),
                "successful",
                result,
                failed,
            )
            .await?;
        }
        Ok(())
    }

    /// Reports one write: its Event, unless the write only found the cache behind (the
    /// object already there, already gone, or replaced: nothing happened, and the next sync
    /// sees it), and its failure as the sync's error (`failed` says what it was).
    async fn recorded(
        &self,
        set: &StatefulSet,
        verb: &str,
        what: &str,
        success: &str,
        result: Result<(), kube::Error>,
        failed: String,
    ) -> Result<(), SyncError> {
        match result {
            Err(error) if already_done(&error) => Ok(()),
            Err(error) => {
                self.record(set, verb, what, success, Some(&error)).await;
                Err(request_failed(failed)(error))
            }
            Ok(()) => {
                self.record(set, verb, what, success, None).await;
                Ok(())
            }
        }
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
