//! One sync of one object (by UID): an owner being deleted in the foreground or with
//! orphaning gets its next step; any other object gets [`decide_dependent`] on the state of
//! its owners, looked up in the graph and, when absent there, in the apiserver.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, Preconditions, PropagationPolicy};
use serde_json::{Value, json};

use super::GarbageCollector;
use super::decide::{
    Decision, FOREGROUND, ForegroundStep, ORPHAN, OwnerState, Propagation, decide_dependent,
    foreground_step, without_owners,
};
use super::graph::Node;
use crate::dynamic::MetaObject;
use crate::request::{RequestError, has_code, is_not_found, request_failed};

/// Why a sync failed (retried with back-off).
pub(crate) type GcError = RequestError;

impl GarbageCollector {
    /// Syncs the object with `uid`.
    pub(crate) async fn sync(&self, uid: &str) -> Result<(), GcError> {
        let Some(node) = self.graph().get(uid).cloned() else {
            return Ok(()); // gone meanwhile
        };
        if node.deleting && node.has_finalizer(ORPHAN) {
            return self.orphan_dependents(&node).await;
        }
        if node.deleting_dependents() {
            let dependents = self.graph().dependents(uid);
            let mut step = foreground_step(uid, &dependents);
            if step == ForegroundStep::RemoveFinalizer {
                // The graph may lag: ask the apiserver before letting the owner go.
                step = foreground_step(uid, &self.live_dependents(&node).await?);
            }
            return match step {
                ForegroundStep::RemoveFinalizer => self.remove_finalizer(&node, FOREGROUND).await,
                ForegroundStep::Wait(look_at) => {
                    for dependent in look_at {
                        self.queue.add(&dependent);
                    }
                    Ok(())
                }
            };
        }
        if node.deleting || node.owners.is_empty() {
            return Ok(()); // someone else's deletion, or not a dependent
        }
        // The graph's copy may be stale (an orphaning just removed its owner reference):
        // decide on the object as the apiserver has it now (upstream `getObject`).
        let Some(node) = self.latest(&node).await? else {
            return Ok(());
        };
        if node.deleting || node.owners.is_empty() {
            return Ok(());
        }
        let mut owners = Vec::new();
        for owner in &node.owners {
            owners.push((owner.clone(), self.owner_state(&node, owner).await?));
        }
        let has_dependents = !self.graph().dependents(uid).is_empty();
        match decide_dependent(&owners, has_dependents, &node.finalizers) {
            Decision::Keep => Ok(()),
            Decision::RemoveOwners(gone) => {
                let kept = without_owners(&node.owners, &gone);
                self.patch_owners(&node, &kept).await
            }
            Decision::Delete(policy) => self.delete(&node, policy).await,
        }
    }

    // ANCHOR: owner_state
    /// The state of one owner of `dependent`: the graph first; an owner absent from it is
    /// looked up in the apiserver (the graph may lag), and is dangling only if the apiserver
    /// has no object of that kind and name with that UID. An owner of a kind the apiserver
    /// does not serve counts as solid: never delete on a guess.
    async fn owner_state(
        &self,
        dependent: &Node,
        owner: &OwnerReference,
    ) -> Result<OwnerState, GcError> {
        let known = self.graph().get(&owner.uid).cloned();
        if let Some(known) = known {
            return Ok(if known.deleting_dependents() {
                OwnerState::WaitingForDependents
            } else {
                OwnerState::Solid
            });
        }
        let Some(resource) = self.resources.iter().find(|resource| {
            resource.resource.api_version == owner.api_version
                && resource.resource.kind == owner.kind
        }) else {
            tracing::warn!(kind = %owner.kind, "owner of a kind not served; keeping the dependent");
            return Ok(OwnerState::Solid);
        };
        let api = resource.api(&self.client, Some(&dependent.namespace));
        let found = api
            .get_opt(&owner.name)
            .await
            .map_err(request_failed(format!(
                "looking up owner {} {}",
                owner.kind, owner.name
            )))?;
        Ok(match found {
            Some(object) if object.metadata.uid.as_deref() == Some(owner.uid.as_str()) => {
                let waiting = object.metadata.deletion_timestamp.is_some()
                    && object
                        .metadata
                        .finalizers
                        .iter()
                        .flatten()
                        .any(|finalizer| finalizer == FOREGROUND);
                if waiting {
                    OwnerState::WaitingForDependents
                } else {
                    OwnerState::Solid
                }
            }
            _ => OwnerState::Dangling,
        })
    }
    // ANCHOR_END: owner_state

    /// `node` as the apiserver has it now; `None` when it is gone or replaced (another UID).
    async fn latest(&self, node: &Node) -> Result<Option<Node>, GcError> {
        let Some(resource) = self.resources.get(node.resource) else {
            return Ok(None);
        };
        let api = resource.api(&self.client, Some(&node.namespace));
        let found = api
            .get_opt(&node.name)
            .await
            .map_err(request_failed(format!(
                "reading {} {}",
                node.kind, node.name
            )))?;
        Ok(found
            .filter(|object| object.metadata.uid.as_deref() == Some(node.uid.as_str()))
            .map(|object| {
                let object = MetaObject {
                    api_version: node.api_version.clone(),
                    kind: node.kind.clone(),
                    metadata: object.metadata,
                };
                Node::from_object(&object, node.resource)
            }))
    }

    /// Deletes `node` with `policy`, on the condition that its UID is still the one we saw.
    async fn delete(&self, node: &Node, policy: Propagation) -> Result<(), GcError> {
        let Some(resource) = self.resources.get(node.resource) else {
            return Ok(());
        };
        let api = resource.api(&self.client, Some(&node.namespace));
        let params = DeleteParams {
            propagation_policy: Some(match policy {
                Propagation::Background => PropagationPolicy::Background,
                Propagation::Foreground => PropagationPolicy::Foreground,
                Propagation::Orphan => PropagationPolicy::Orphan,
            }),
            // The version we decided on: an object changed since (orphaned, adopted) is a
            // conflict, looked at again, not deleted.
            preconditions: Some(Preconditions {
                uid: Some(node.uid.clone()),
                resource_version: Some(node.resource_version.clone()),
            }),
            ..DeleteParams::default()
        };
        tracing::info!(kind = %node.kind, namespace = %node.namespace, name = %node.name, policy = policy.as_str(), "deleting an object whose owners are gone");
        match api.delete(&node.name, &params).await {
            Ok(_) => Ok(()),
            Err(error) if is_not_found(&error) => Ok(()),
            // Changed or replaced meanwhile: decide again on what it is now.
            Err(kube::Error::Api(status)) if status.code == 409 => {
                self.queue.add(&node.uid);
                Ok(())
            }
            Err(error) => Err(request_failed(format!(
                "deleting {} {}",
                node.kind, node.name
            ))(error)),
        }
    }

    /// Sets `node`'s owner references to `owners` (a merge patch carrying the
    /// `resourceVersion` seen: a concurrent change is a conflict, retried).
    async fn patch_owners(&self, node: &Node, owners: &[OwnerReference]) -> Result<(), GcError> {
        let owners = if owners.is_empty() {
            Value::Null
        } else {
            json!(owners)
        };
        let patch = json!({"metadata": {
            "ownerReferences": owners,
            "resourceVersion": node.resource_version,
        }});
        self.patch(node, patch, "removing owner references").await
    }

    /// Removes `finalizer` from `node` (same precondition).
    async fn remove_finalizer(&self, node: &Node, finalizer: &str) -> Result<(), GcError> {
        let kept: Vec<&String> = node.finalizers.iter().filter(|f| *f != finalizer).collect();
        let patch = json!({"metadata": {
            "finalizers": kept,
            "resourceVersion": node.resource_version,
        }});
        match self.patch(node, patch, "removing a finalizer").await {
            // Changed meanwhile (a controller wrote its status): the change's event queues
            // this owner again (it still has the finalizer), so no back-off and no warning.
            Err(error) if has_code(error.source_error(), 409) => Ok(()),
            other => other,
        }
    }

    async fn patch(&self, node: &Node, patch: Value, what: &str) -> Result<(), GcError> {
        let Some(resource) = self.resources.get(node.resource) else {
            return Ok(());
        };
        let api = resource.api(&self.client, Some(&node.namespace));
        match api
            .patch(&node.name, &PatchParams::default(), &Patch::Merge(patch))
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if is_not_found(&error) => Ok(()),
            Err(error) => Err(request_failed(format!(
                "{what} of {} {}",
                node.kind, node.name
            ))(error)),
        }
    }

    // ANCHOR: orphan_dependents
    /// The `orphan` finalizer's work (upstream `orphanDependents`): remove the owner's
    /// reference from every dependent, then the finalizer. The dependents stay.
    async fn orphan_dependents(&self, owner: &Node) -> Result<(), GcError> {
        for dependent in self.live_dependents(owner).await? {
            let kept = without_owners(&dependent.owners, std::slice::from_ref(&owner.uid));
            self.patch_owners(&dependent, &kept).await?;
        }
        self.remove_finalizer(owner, ORPHAN).await
    }
    // ANCHOR_END: orphan_dependents

    /// The dependents of `owner` as the apiserver has them now. The graph is not enough here:
    /// a dependent created a moment before the owner's deletion may not be in it yet, and
    /// once the finalizer is gone it would look like garbage and be deleted, not orphaned.
    /// A list per resource of the owner's namespace (all namespaces for a cluster-scoped
    /// owner): costly, but orphaning is rare.
    async fn live_dependents(&self, owner: &Node) -> Result<Vec<Node>, GcError> {
        let mut found = Vec::new();
        for (index, resource) in self.resources.iter().enumerate() {
            if !owner.namespace.is_empty() && !resource.namespaced {
                continue; // a cluster-scoped object cannot have a namespaced owner
            }
            let api = resource.api(&self.client, Some(&owner.namespace));
            let list = api
                .list(&ListParams::default())
                .await
                .map_err(request_failed(format!(
                    "listing {}",
                    resource.resource.plural
                )))?;
            for object in list.items {
                let object = MetaObject {
                    api_version: resource.resource.api_version.clone(),
                    kind: resource.resource.kind.clone(),
                    metadata: object.metadata,
                };
                let node = Node::from_object(&object, index);
                if node.reference_to(&owner.uid).is_some() {
                    found.push(node);
                }
            }
        }
        Ok(found)
    }
}
