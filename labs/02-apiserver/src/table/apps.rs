//! Printers for the apps group: Deployments, ReplicaSets, DaemonSets, StatefulSets and
//! ControllerRevisions.
//!
//! A `replicas` the object does not set reads as 1, the API default (the real printers see
//! defaulted objects).

use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::core::{age_of, name_of};
use super::descriptions as doc;
use super::{Column, Printer, Row, TableError, decode, format};

/// The wide CONTAINERS column of every workload.
const CONTAINERS: Column =
    Column::string("Containers", "Names of each container in the template.").wide();
/// The wide IMAGES column of every workload.
const IMAGES: Column = Column::string(
    "Images",
    "Images referenced by each container in the template.",
)
.wide();

/// The containers of a pod template.
pub(crate) fn template_containers(template: Option<&PodTemplateSpec>) -> &[Container] {
    template
        .and_then(|t| t.spec.as_ref())
        .map_or(&[], |s| s.containers.as_slice())
}

/// `kubectl get deployments`.
pub(crate) static DEPLOYMENTS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Ready", "Number of the pod with ready state"),
        Column::string("Up-to-date", doc::DEPLOYMENT_UPDATED_REPLICAS),
        Column::string("Available", doc::DEPLOYMENT_AVAILABLE_REPLICAS),
        Column::AGE,
        CONTAINERS,
        IMAGES,
        Column::string("Selector", doc::DEPLOYMENT_SELECTOR).wide(),
    ],
    row: deployment_cells,
};

fn deployment_cells(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let deployment: Deployment = decode(object, "deployments")?;
    Ok(Row::new(deployment_row(&deployment, now)))
}

// ANCHOR: deployment_row
/// A Deployment's cells: NAME, READY (`ready/desired`), UP-TO-DATE, AVAILABLE, AGE, then the
/// wide CONTAINERS, IMAGES and SELECTOR (`<invalid>` for a selector that does not parse).
pub(crate) fn deployment_row(deployment: &Deployment, now: Timestamp) -> Vec<Value> {
    // BEGIN SOLUTION step-5: READY is "readyReplicas/spec.replicas" (1 when unset), UP-TO-DATE and AVAILABLE are integers from status (0 when unset); the wide cells come from the pod template and the selector
    let spec = deployment.spec.clone().unwrap_or_default();
    let status = deployment.status.clone().unwrap_or_default();
    let desired = spec.replicas.unwrap_or(1);
    let ready = status.ready_replicas.unwrap_or(0);
    let (names, images) = format::containers(template_containers(Some(&spec.template)));
    let selector =
        format::selector_string(Some(&spec.selector)).unwrap_or_else(|()| "<invalid>".to_owned());
    vec![
        name_of(&deployment.metadata),
        format!("{ready}/{desired}").into(),
        i64::from(status.updated_replicas.unwrap_or(0)).into(),
        i64::from(status.available_replicas.unwrap_or(0)).into(),
        age_of(&deployment.metadata, now),
        names.into(),
        images.into(),
        selector.into(),
    ]
    // END SOLUTION
}
// ANCHOR_END: deployment_row

/// `kubectl get replicasets`.
pub(crate) static REPLICA_SETS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::integer("Desired", doc::REPLICA_SET_REPLICAS),
        Column::integer("Current", doc::REPLICA_SET_CURRENT),
        Column::integer("Ready", doc::REPLICA_SET_READY),
        Column::AGE,
        CONTAINERS,
        IMAGES,
        Column::string("Selector", doc::REPLICA_SET_SELECTOR).wide(),
    ],
    row: replica_set_row,
};

fn replica_set_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let replica_set: ReplicaSet = decode(object, "replicasets")?;
    let spec = replica_set.spec.clone().unwrap_or_default();
    let status = replica_set.status.clone().unwrap_or_default();
    let (names, images) = format::containers(template_containers(spec.template.as_ref()));
    Ok(Row::new(vec![
        name_of(&replica_set.metadata),
        i64::from(spec.replicas.unwrap_or(1)).into(),
        i64::from(status.replicas).into(),
        i64::from(status.ready_replicas.unwrap_or(0)).into(),
        age_of(&replica_set.metadata, now),
        names.into(),
        images.into(),
        format::label_selector(Some(&spec.selector)).into(),
    ]))
}

/// `kubectl get daemonsets`.
pub(crate) static DAEMON_SETS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::integer("Desired", doc::DAEMON_SET_DESIRED),
        Column::integer("Current", doc::DAEMON_SET_CURRENT),
        Column::integer("Ready", doc::DAEMON_SET_READY),
        Column::integer("Up-to-date", doc::DAEMON_SET_UPDATED),
        Column::integer("Available", doc::DAEMON_SET_AVAILABLE),
        Column::string("Node Selector", doc::NODE_SELECTOR),
        Column::AGE,
        CONTAINERS,
        IMAGES,
        Column::string("Selector", doc::DAEMON_SET_SELECTOR).wide(),
    ],
    row: daemon_set_row,
};

fn daemon_set_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let daemon_set: DaemonSet = decode(object, "daemonsets")?;
    let spec = daemon_set.spec.clone().unwrap_or_default();
    let status = daemon_set.status.clone().unwrap_or_default();
    let node_selector = spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.node_selector.as_ref());
    let (names, images) = format::containers(template_containers(Some(&spec.template)));
    Ok(Row::new(vec![
        name_of(&daemon_set.metadata),
        i64::from(status.desired_number_scheduled).into(),
        i64::from(status.current_number_scheduled).into(),
        i64::from(status.number_ready).into(),
        i64::from(status.updated_number_scheduled.unwrap_or(0)).into(),
        i64::from(status.number_available.unwrap_or(0)).into(),
        format::labels(node_selector).into(),
        age_of(&daemon_set.metadata, now),
        names.into(),
        images.into(),
        format::label_selector(Some(&spec.selector)).into(),
    ]))
}

/// `kubectl get statefulsets`.
pub(crate) static STATEFUL_SETS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Ready", "Number of the pod with ready state"),
        Column::AGE,
        CONTAINERS,
        IMAGES,
    ],
    row: stateful_set_row,
};

fn stateful_set_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let stateful_set: StatefulSet = decode(object, "statefulsets")?;
    let spec = stateful_set.spec.clone().unwrap_or_default();
    let ready = stateful_set
        .status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0);
    let (names, images) = format::containers(template_containers(Some(&spec.template)));
    Ok(Row::new(vec![
        name_of(&stateful_set.metadata),
        format!("{ready}/{}", spec.replicas.unwrap_or(1)).into(),
        age_of(&stateful_set.metadata, now),
        names.into(),
        images.into(),
    ]))
}

/// `kubectl get controllerrevisions`: which workload a revision belongs to, written as the
/// lower-case `kind.group/name` the real printer uses (`statefulset.apps/web`).
pub(crate) static CONTROLLER_REVISIONS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Controller", "Controller of the object"),
        Column::integer("Revision", "Revision of the ControllerRevision"),
        Column::AGE,
    ],
    row: controller_revision_row,
};

fn controller_revision_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let revision: ControllerRevision = decode(object, "controllerrevisions")?;
    let controller = revision
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|owner| owner.controller == Some(true))
        .map_or_else(
            || "<none>".to_owned(),
            |owner| {
                let group = owner.api_version.rsplit_once('/').map_or("", |(g, _)| g);
                let kind = owner.kind.to_lowercase();
                if group.is_empty() {
                    format!("{kind}/{}", owner.name)
                } else {
                    format!("{kind}.{group}/{}", owner.name)
                }
            },
        );
    Ok(Row::new(vec![
        name_of(&revision.metadata),
        controller.into(),
        revision.revision.into(),
        age_of(&revision.metadata, now),
    ]))
}
