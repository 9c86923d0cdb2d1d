//! Admission: the checks every create and update passes before it is stored.
//!
//! In kube-apiserver a write goes decode -> defaulting -> admission (mutating, then validating
//! plugins) -> the resource's own validation -> storage. Here [`admit`] is the one place a
//! create or an update passes through after the server has set its metadata,
//! [`namespace_lifecycle`] is the `NamespaceLifecycle` admission plugin: no object in a
//! namespace that does not exist or is being deleted, and [`default_toleration_seconds`] is
//! the `DefaultTolerationSeconds` plugin: every new pod tolerates a not-ready or unreachable
//! node for five minutes before it is evicted (lab 03's node lifecycle controller).

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
                default_toleration_seconds(object);
            }
            validation::validate_create(resource.group, resource.kind, object)
        }
        Some(old) => {
            if resource.group.is_empty() && resource.kind == "Pod" {
                // Upstream runs it on updates too: a PUT that leaves the tolerations out
                // gets them back instead of failing the "spec is immutable" check.
                default_toleration_seconds(object);
            }
            validation::validate_update(resource.group, resource.kind, object, old)
        }
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

/// The taint the node lifecycle controller puts on a node whose `Ready` condition is `False`.
pub const TAINT_NODE_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// The taint the node lifecycle controller puts on a node whose `Ready` condition is
/// `Unknown` (its kubelet stopped renewing its Lease).
pub const TAINT_NODE_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// The `DefaultTolerationSeconds` admission plugin (on by default in kube-apiserver): a new
/// pod that does not already tolerate the `not-ready` (or `unreachable`) `NoExecute` taint
/// gets `{key, operator: Exists, effect: NoExecute, tolerationSeconds: 300}` appended, so
/// its pods survive a node's brief absence and are evicted only after five minutes. A
/// toleration with an empty key (every taint) or an empty effect (every effect) counts as
/// already tolerating.
pub fn default_toleration_seconds(pod: &mut Value) {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let tolerations = spec
        .entry("tolerations")
        .or_insert_with(|| Value::Array(Vec::new()));
    if tolerations.is_null() {
        *tolerations = Value::Array(Vec::new());
    }
    let Some(tolerations) = tolerations.as_array_mut() else {
        return;
    };
    let tolerates = |tolerations: &[Value], taint: &str| {
        tolerations.iter().any(|toleration| {
            let key = toleration["key"].as_str().unwrap_or_default();
            let effect = toleration["effect"].as_str().unwrap_or_default();
            (key == taint || key.is_empty()) && (effect == "NoExecute" || effect.is_empty())
        })
    };
    for taint in [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE] {
        if !tolerates(tolerations, taint) {
            tolerations.push(serde_json::json!({
                "key": taint,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
            }));
        }
    }
}

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
