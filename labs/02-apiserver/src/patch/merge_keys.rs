//! The patch metadata of strategic merge patch: which lists merge, and by which key.
//!
//! Upstream, this knowledge lives in the Go struct tags of the API types
//! (k8s.io/api `core/v1/types.go`, `apps/v1/types.go`, `batch/v1/types.go`,
//! k8s.io/apimachinery `meta/v1/types.go`), for example
//!
//! ```text
//! Containers []Container `json:"containers" patchStrategy:"merge" patchMergeKey:"name"`
//! ```
//!
//! and the apiserver finds it by reflection on the typed object. k8s-openapi does not carry these
//! tags, so [`PATCH_FIELDS`] writes them down by hand, for the kinds this lab serves. A field that
//! is not in the table gets the defaults: a map merges key by key, a list is replaced whole.
//! That default is right for the lists the API marks atomic (`PodSpec.tolerations`,
//! `EndpointSubset.addresses`/`ports`, `Container.resizePolicy`, `Container.envFrom`,
//! `NodeSpec.taints`, ...): they have no patch strategy upstream either.

/// A type of the Kubernetes API whose fields have patch metadata, by its Go name
/// (`PodSpec`, `Container`, `ObjectMeta`, or a kind such as `Deployment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeName(pub &'static str);

/// How strategic merge patch treats one field (`patchStrategy` and `patchMergeKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldMeta {
    /// `patchStrategy:"merge"`: a list merges with the live one instead of replacing it.
    pub merge: bool,
    /// `patchMergeKey`: the field that identifies an element of a merging list of objects
    /// (`name` for containers). `None` for a merging list of primitives (`finalizers`).
    pub merge_key: Option<&'static str>,
    /// `patchStrategy:"retainKeys"`: kubectl sends `$retainKeys` for this field, so that
    /// switching a union (a Deployment's strategy, a volume's source) drops the old member.
    pub retain_keys: bool,
    /// The type of the field's value, or of each element for a list, when it has fields with
    /// patch metadata of its own.
    pub ty: Option<TypeName>,
}

/// One row of [`PATCH_FIELDS`]: a field of a type and its patch metadata.
#[derive(Debug, Clone, Copy)]
pub struct PatchField {
    /// The type holding the field.
    pub owner: TypeName,
    /// The field's JSON name.
    pub field: &'static str,
    /// What strategic merge patch does with it.
    pub meta: FieldMeta,
}

/// A row with the default metadata: maps merge, lists are replaced.
const fn row(owner: &'static str, field: &'static str) -> PatchField {
    PatchField {
        owner: TypeName(owner),
        field,
        meta: FieldMeta {
            merge: false,
            merge_key: None,
            retain_keys: false,
            ty: None,
        },
    }
}

/// A field that only leads to a type with patch metadata (`spec` -> `PodSpec`).
const fn nested(owner: &'static str, field: &'static str, ty: &'static str) -> PatchField {
    row(owner, field).of(ty)
}

/// `patchStrategy:"merge" patchMergeKey:"<key>"`: a list of objects.
const fn merge_by(owner: &'static str, field: &'static str, key: &'static str) -> PatchField {
    let mut row = row(owner, field);
    row.meta.merge = true;
    row.meta.merge_key = Some(key);
    row
}

/// `patchStrategy:"merge,retainKeys" patchMergeKey:"<key>"`.
const fn merge_retain(owner: &'static str, field: &'static str, key: &'static str) -> PatchField {
    let mut row = merge_by(owner, field, key);
    row.meta.retain_keys = true;
    row
}

/// `patchStrategy:"merge"` on a list of strings.
const fn merge_primitives(owner: &'static str, field: &'static str) -> PatchField {
    let mut row = row(owner, field);
    row.meta.merge = true;
    row
}

/// `patchStrategy:"retainKeys"` on a struct field.
const fn retain_keys(owner: &'static str, field: &'static str) -> PatchField {
    let mut row = row(owner, field);
    row.meta.retain_keys = true;
    row
}

impl PatchField {
    /// The same row, saying that the field's value (or each element) is a `ty`.
    const fn of(mut self, ty: &'static str) -> Self {
        self.meta.ty = Some(TypeName(ty));
        self
    }
}

/// The patch metadata of the lab's kinds, copied from the `patchStrategy`/`patchMergeKey` struct
/// tags of Kubernetes 1.33 (k8s.io/api and k8s.io/apimachinery `types.go`; the same values are
/// published as `x-kubernetes-patch-strategy`/`x-kubernetes-patch-merge-key` in the OpenAPI
/// documents). The `nested` rows only say which type a field holds, so that a lookup can walk from
/// a kind down to, say, `Deployment.spec.template.spec.containers[].env`.
///
/// Every kind's `metadata` is an `ObjectMeta` without a row of its own: [`field`] knows it.
#[rustfmt::skip]
pub const PATCH_FIELDS: &[PatchField] = &[
    // meta/v1 ObjectMeta.
    merge_primitives( "ObjectMeta",                  "finalizers"),
    merge_by(         "ObjectMeta",                  "ownerReferences",           "uid"),
    // ANCHOR: pod_rows
    // core/v1 PodSpec, shared by every pod template.
    merge_retain(     "PodSpec",                     "volumes",                   "name"),
    merge_by(         "PodSpec",                     "initContainers",            "name").of("Container"),
    merge_by(         "PodSpec",                     "containers",                "name").of("Container"),
    merge_by(         "PodSpec",                     "ephemeralContainers",       "name").of("Container"),
    merge_by(         "PodSpec",                     "imagePullSecrets",          "name"),
    merge_by(         "PodSpec",                     "hostAliases",               "ip"),
    merge_by(         "PodSpec",                     "topologySpreadConstraints", "topologyKey"),
    merge_by(         "PodSpec",                     "schedulingGates",           "name"),
    merge_retain(     "PodSpec",                     "resourceClaims",            "name"),
    // core/v1 Container (and EphemeralContainer, which has the same fields).
    merge_by(         "Container",                   "ports",                     "containerPort"),
    merge_by(         "Container",                   "env",                       "name"),
    merge_by(         "Container",                   "volumeMounts",              "mountPath"),
    merge_by(         "Container",                   "volumeDevices",             "devicePath"),
    // ANCHOR_END: pod_rows
    // core/v1 statuses.
    merge_by(         "PodStatus",                   "conditions",                "type"),
    merge_by(         "PodStatus",                   "podIPs",                    "ip"),
    merge_by(         "PodStatus",                   "hostIPs",                   "ip"),
    merge_retain(     "PodStatus",                   "resourceClaimStatuses",     "name"),
    merge_primitives( "NodeSpec",                    "podCIDRs"),
    merge_by(         "NodeStatus",                  "conditions",                "type"),
    merge_by(         "NodeStatus",                  "addresses",                 "type"),
    merge_by(         "NamespaceStatus",             "conditions",                "type"),
    merge_by(         "ServiceSpec",                 "ports",                     "port"),
    merge_by(         "ServiceStatus",               "conditions",                "type"),
    merge_by(         "PersistentVolumeClaimStatus", "conditions",                "type"),
    merge_by(         "ReplicationControllerStatus", "conditions",                "type"),
    // apps/v1 and batch/v1.
    retain_keys(      "DeploymentSpec",              "strategy"),
    merge_by(         "DeploymentStatus",            "conditions",                "type"),
    merge_by(         "ReplicaSetStatus",            "conditions",                "type"),
    merge_by(         "DaemonSetStatus",             "conditions",                "type"),
    merge_by(         "StatefulSetStatus",           "conditions",                "type"),
    merge_by(         "JobStatus",                   "conditions",                "type"),
    // Where each kind keeps the types above.
    nested(           "Pod",                         "spec",                      "PodSpec"),
    nested(           "Pod",                         "status",                    "PodStatus"),
    nested(           "PodTemplate",                 "template",                  "PodTemplateSpec"),
    nested(           "PodTemplateSpec",             "metadata",                  "ObjectMeta"),
    nested(           "PodTemplateSpec",             "spec",                      "PodSpec"),
    nested(           "Node",                        "spec",                      "NodeSpec"),
    nested(           "Node",                        "status",                    "NodeStatus"),
    nested(           "Namespace",                   "status",                    "NamespaceStatus"),
    nested(           "Service",                     "spec",                      "ServiceSpec"),
    nested(           "Service",                     "status",                    "ServiceStatus"),
    nested(           "PersistentVolumeClaim",       "status",                    "PersistentVolumeClaimStatus"),
    nested(           "ReplicationController",       "spec",                      "ReplicationControllerSpec"),
    nested(           "ReplicationController",       "status",                    "ReplicationControllerStatus"),
    nested(           "ReplicationControllerSpec",   "template",                  "PodTemplateSpec"),
    nested(           "Deployment",                  "spec",                      "DeploymentSpec"),
    nested(           "Deployment",                  "status",                    "DeploymentStatus"),
    nested(           "DeploymentSpec",              "template",                  "PodTemplateSpec"),
    nested(           "ReplicaSet",                  "spec",                      "ReplicaSetSpec"),
    nested(           "ReplicaSet",                  "status",                    "ReplicaSetStatus"),
    nested(           "ReplicaSetSpec",              "template",                  "PodTemplateSpec"),
    nested(           "DaemonSet",                   "spec",                      "DaemonSetSpec"),
    nested(           "DaemonSet",                   "status",                    "DaemonSetStatus"),
    nested(           "DaemonSetSpec",               "template",                  "PodTemplateSpec"),
    nested(           "StatefulSet",                 "spec",                      "StatefulSetSpec"),
    nested(           "StatefulSet",                 "status",                    "StatefulSetStatus"),
    nested(           "StatefulSetSpec",             "template",                  "PodTemplateSpec"),
    nested(           "Job",                         "spec",                      "JobSpec"),
    nested(           "Job",                         "status",                    "JobStatus"),
    nested(           "JobSpec",                     "template",                  "PodTemplateSpec"),
    nested(           "CronJob",                     "spec",                      "CronJobSpec"),
    nested(           "CronJobSpec",                 "jobTemplate",               "JobTemplateSpec"),
    nested(           "JobTemplateSpec",             "metadata",                  "ObjectMeta"),
    nested(           "JobTemplateSpec",             "spec",                      "JobSpec"),
];

/// The type at the root of an object of this kind: the kind's own name, since every top-level
/// type is named after its kind. A kind without rows (a ConfigMap) is a plain `Object`, which
/// still has a `metadata` (see [`field`]), so its `finalizers` and `ownerReferences` merge too.
pub fn root_type(kind: &str) -> TypeName {
    PATCH_FIELDS
        .iter()
        .map(|row| row.owner)
        .find(|owner| owner.0 == kind)
        .unwrap_or(TypeName("Object"))
}

/// The patch metadata of `owner.field`: its row in [`PATCH_FIELDS`], or the defaults (maps merge,
/// lists are replaced) for a field without one. A `metadata` field without a row is an
/// `ObjectMeta`: every kind and every template has one. `owner` is `None` inside a value whose
/// type the table does not know; everything there gets the defaults.
pub fn field(owner: Option<TypeName>, field: &str) -> FieldMeta {
    // BEGIN SOLUTION step-5: find the row for (owner, field); metadata is ObjectMeta; else default
    let Some(owner) = owner else {
        return FieldMeta::default();
    };
    if let Some(row) = PATCH_FIELDS
        .iter()
        .find(|row| row.owner == owner && row.field == field)
    {
        return row.meta;
    }
    if field == "metadata" {
        // Every top-level kind embeds an ObjectMeta under `metadata`.
        return FieldMeta {
            ty: Some(TypeName("ObjectMeta")),
            ..FieldMeta::default()
        };
    }
    FieldMeta::default()
    // END SOLUTION
}
