//! Admission: the checks every create and update passes before it is stored.
//!
//! In kube-apiserver a write goes decode -> defaulting -> admission (mutating, then validating
//! plugins) -> the resource's own validation -> storage. Here [`admit`] is the one place a
//! create or an update passes through after the server has set its metadata, and
//! [`namespace_lifecycle`] is the `NamespaceLifecycle` admission plugin: no object in a
//! namespace that does not exist or is being deleted.

use serde_json::Value;

use super::ApiState;
use super::codec;
use super::namespaces::{Known, Phase};
use crate::registry::{self, Resource};
use crate::status::{Status, StatusCause};
use crate::store::{Store, registry_key};
use crate::validation;

/// Fills in the defaults of `resource`'s kind, right after the body is decoded, as
/// kube-apiserver's decoder does: before the server compares the object with the stored one,
/// so a default the client left out never counts as a spec change (`generation`). The
/// defaults themselves (a Deployment's `replicas: 1`, its rolling-update strategy, ...) are
/// [`validation::default_object`].
pub fn default_object(resource: &Resource, object: &mut Value) {
    validation::default_object(resource.group, resource.kind, object);
}

// ANCHOR: admit
/// Every create (`old` is `None`) and update (`old` is the stored object) of `resource` passes
/// here, with the object about to be stored; it may change the object (defaulting) or refuse
/// it (validation: 422 Invalid with the fields that are wrong).
///
/// First what keeps keys safe (`metadata.name` as a path segment), then the kind's own rules
/// ([`validation::validate_create`] and, on update, [`validation::validate_update`] with its
/// immutable fields): every broken rule becomes one cause of a 422 Invalid.
pub fn admit(resource: &Resource, object: &mut Value, old: Option<&Value>) -> Result<(), Status> {
    let name = codec::meta_str(object, "name").to_string();
    super::object::check_path_segment_name(resource, &name)?;
    let causes = match old {
        None => {
            // Some defaults need what the server has set since decoding: a Job's generated
            // selector is made from its uid. Defaulting twice is harmless: it only fills gaps.
            validation::default_object(resource.group, resource.kind, object);
            if resource.group.is_empty() && resource.kind == "Pod" {
                // Every new Pod is Pending until a kubelet says otherwise.
                validation::initial_pod_status(object);
            }
            validation::validate_create(resource.group, resource.kind, object)
        }
        Some(old) => validation::validate_update(resource.group, resource.kind, object, old),
    };
    if causes.is_empty() {
        return Ok(());
    }
    let causes = causes
        .iter()
        .map(|cause| StatusCause {
            reason: cause.reason.as_str().to_owned(),
            message: cause.message.clone(),
            field: cause.field.clone(),
        })
        .collect();
    Err(Status::invalid(resource, &name, causes))
}
// ANCHOR_END: admit

/// `NamespaceLifecycle`: a create in a namespace that does not exist is 404
/// `namespaces "x" not found`; in one that is being deleted, 403 Forbidden.
///
/// The namespace cache answers when it can be trusted (see `rest/namespaces.rs`); otherwise
/// the namespace is read from the store.
pub(crate) async fn namespace_lifecycle(
    state: &ApiState,
    resource: &Resource,
    namespace: Option<&str>,
    name: &str,
) -> Result<(), Status> {
    let Some(namespace) = namespace.filter(|_| resource.namespaced) else {
        return Ok(());
    };
    let terminating = match state.namespaces.lookup(namespace) {
        Known::Phase(Phase::Active) => false,
        Known::Phase(Phase::Terminating) => true,
        Known::Unsure => {
            let Some(namespaces) = registry::lookup("", "v1", "namespaces") else {
                return Err(Status::internal("the registry has no namespaces"));
            };
            let key = registry_key(namespaces.storage_name(), None, namespace);
            let stored = state
                .store
                .get(&key)
                .await
                .map_err(|error| Status::from_store(error, namespaces, namespace))?;
            let Some(kv) = stored else {
                return Err(Status::not_found(namespaces, namespace));
            };
            codec::is_deleting(&codec::decode(namespaces, &kv)?)
        }
    };
    if terminating {
        return Err(Status::namespace_terminating(resource, name, namespace));
    }
    Ok(())
}
