//! What Go's JSON depends on and the `.proto` files do not say.
//!
//! The upstream `generated.proto` files are generated from the Go structs, and they keep the
//! JSON field names, but two facts about the Go fields are lost on the way:
//!
//! - **Embedded structs.** `IngressRule` embeds `IngressRuleValue` with `json:",inline"`: in
//!   JSON its fields (`http`) sit in the rule itself, but protobuf needs a field for it, so the
//!   message has `ingressRuleValue`. [`INLINE`] lists those fields.
//! - **Pointers.** Go's protobuf code writes every non-pointer field, even a zero one, and a
//!   pointer field whenever it is set, so on the wire `paused: false` (a plain `bool`) and
//!   `replicas: 0` (an `*int32` the user set to 0) look alike. Go's JSON, though, drops the
//!   zero of a plain field tagged `omitempty` and keeps a set pointer. [`ZERO_OMITTED`] lists
//!   the plain `omitempty` numbers and booleans, so their zeros can be dropped too. Any other
//!   zero on the wire is kept: for a pointer it is what the user said, and for a plain field
//!   Go cannot tell 0 from absent anyway, so keeping it never changes the object's meaning.
//!   (Empty strings go the other way; see `json::on_json`.)
//!
//! A third fact is left out on purpose: fields *without* `omitempty`, which Go's JSON writes
//! even when empty (`"token":""`, `"audiences":null` in a TokenRequest). Their empty values
//! are left out like any other, which the server reads the same way.
//!
//! Both lists come from the Go types of Kubernetes 1.33 (`k8s.io/api/*/types.go`,
//! `k8s.io/apimachinery/pkg/apis/meta/v1/types.go`). [`ZERO_OMITTED`] covers the objects that
//! `kubectl create` sends and the workload, Service and Pod types under them; a zero of a plain
//! field it misses shows up in the stored object as an explicit `0` or `false`.

/// Fields of embedded Go structs (`json:",inline"`), by message: their keys belong to the
/// parent object in JSON.
pub(crate) const INLINE: &[(&str, &str)] = &[
    (
        "k8s.io.api.core.v1.ConfigMapEnvSource",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.ConfigMapKeySelector",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.ConfigMapProjection",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.ConfigMapVolumeSource",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.EphemeralContainer",
        "ephemeralContainerCommon",
    ),
    (
        "k8s.io.api.core.v1.PersistentVolumeSpec",
        "persistentVolumeSource",
    ),
    ("k8s.io.api.core.v1.Probe", "handler"),
    ("k8s.io.api.core.v1.SecretEnvSource", "localObjectReference"),
    (
        "k8s.io.api.core.v1.SecretKeySelector",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.SecretProjection",
        "localObjectReference",
    ),
    ("k8s.io.api.core.v1.Volume", "volumeSource"),
    ("k8s.io.api.networking.v1.IngressRule", "ingressRuleValue"),
];

/// Plain (non-pointer) `omitempty` integer and boolean fields, by message: Go's JSON leaves
/// out their zero.
pub(crate) const ZERO_OMITTED: &[(&str, &[&str])] = &[
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        &["generation"],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.Condition",
        &["observedGeneration"],
    ),
    ("k8s.io.api.apps.v1.DaemonSetSpec", &["minReadySeconds"]),
    (
        "k8s.io.api.apps.v1.DaemonSetStatus",
        &[
            "observedGeneration",
            "updatedNumberScheduled",
            "numberAvailable",
            "numberUnavailable",
        ],
    ),
    (
        "k8s.io.api.apps.v1.DeploymentSpec",
        &["minReadySeconds", "paused"],
    ),
    (
        "k8s.io.api.apps.v1.DeploymentStatus",
        &[
            "observedGeneration",
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
            "unavailableReplicas",
        ],
    ),
    ("k8s.io.api.apps.v1.ReplicaSetSpec", &["minReadySeconds"]),
    (
        "k8s.io.api.apps.v1.ReplicaSetStatus",
        &[
            "fullyLabeledReplicas",
            "readyReplicas",
            "availableReplicas",
            "observedGeneration",
        ],
    ),
    ("k8s.io.api.apps.v1.StatefulSetSpec", &["minReadySeconds"]),
    (
        "k8s.io.api.apps.v1.StatefulSetStatus",
        &[
            "observedGeneration",
            "readyReplicas",
            "currentReplicas",
            "updatedReplicas",
        ],
    ),
    (
        "k8s.io.api.batch.v1.JobStatus",
        &["active", "succeeded", "failed"],
    ),
    (
        "k8s.io.api.core.v1.Container",
        &["stdin", "stdinOnce", "tty"],
    ),
    ("k8s.io.api.core.v1.ContainerPort", &["hostPort"]),
    ("k8s.io.api.core.v1.ContainerStateTerminated", &["signal"]),
    (
        "k8s.io.api.core.v1.EphemeralContainerCommon",
        &["stdin", "stdinOnce", "tty"],
    ),
    ("k8s.io.api.core.v1.Event", &["count"]),
    ("k8s.io.api.core.v1.EventSeries", &["count"]),
    ("k8s.io.api.core.v1.NodeSpec", &["unschedulable"]),
    (
        "k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource",
        &["readOnly"],
    ),
    ("k8s.io.api.core.v1.PodCondition", &["observedGeneration"]),
    (
        "k8s.io.api.core.v1.PodSpec",
        &["hostNetwork", "hostPID", "hostIPC"],
    ),
    ("k8s.io.api.core.v1.PodStatus", &["observedGeneration"]),
    (
        "k8s.io.api.core.v1.Probe",
        &[
            "initialDelaySeconds",
            "timeoutSeconds",
            "periodSeconds",
            "successThreshold",
            "failureThreshold",
        ],
    ),
    (
        "k8s.io.api.core.v1.ReplicationControllerSpec",
        &["minReadySeconds"],
    ),
    (
        "k8s.io.api.core.v1.ReplicationControllerStatus",
        &[
            "fullyLabeledReplicas",
            "readyReplicas",
            "availableReplicas",
            "observedGeneration",
        ],
    ),
    ("k8s.io.api.core.v1.ServicePort", &["nodePort"]),
    (
        "k8s.io.api.core.v1.ServiceSpec",
        &["healthCheckNodePort", "publishNotReadyAddresses"],
    ),
    ("k8s.io.api.core.v1.VolumeMount", &["readOnly"]),
    ("k8s.io.api.networking.v1.ServiceBackendPort", &["number"]),
    (
        "k8s.io.api.policy.v1.PodDisruptionBudgetStatus",
        &["observedGeneration"],
    ),
    ("k8s.io.api.scheduling.v1.PriorityClass", &["globalDefault"]),
];

/// Pointer strings whose empty value means something and must survive (see
/// `json::on_json`): an empty `storageClassName` on a claim asks for *no* class, an absent one
/// for the default class.
pub(crate) const EMPTY_STRING_KEPT: &[(&str, &str)] = &[(
    "k8s.io.api.core.v1.PersistentVolumeClaimSpec",
    "storageClassName",
)];

/// Whether `field` of `message` is an embedded struct whose keys go to the parent.
pub(crate) fn is_inline(message: &str, field: &str) -> bool {
    INLINE.contains(&(message, field))
}

/// Whether Go's JSON drops the zero of `field` of `message` (a plain `omitempty` field).
pub(crate) fn omits_zero(message: &str, field: &str) -> bool {
    ZERO_OMITTED
        .iter()
        .any(|(name, fields)| *name == message && fields.contains(&field))
}

/// Whether an empty string in `field` of `message` is a value, not "unset".
pub(crate) fn keeps_empty_string(message: &str, field: &str) -> bool {
    EMPTY_STRING_KEPT.contains(&(message, field))
}

/// The protobuf package of the objects of `api_version`, for the groups the server has
/// descriptors of. Upstream names packages after Go import paths: the core group `v1` lives
/// in `k8s.io/api/core/v1`, `networking.k8s.io/v1` in `k8s.io/api/networking/v1`.
pub(crate) fn proto_package(api_version: &str) -> Option<&'static str> {
    Some(match api_version {
        "v1" => "k8s.io.api.core.v1",
        "apps/v1" => "k8s.io.api.apps.v1",
        "authentication.k8s.io/v1" => "k8s.io.api.authentication.v1",
        "batch/v1" => "k8s.io.api.batch.v1",
        "coordination.k8s.io/v1" => "k8s.io.api.coordination.v1",
        "discovery.k8s.io/v1" => "k8s.io.api.discovery.v1",
        "networking.k8s.io/v1" => "k8s.io.api.networking.v1",
        "policy/v1" => "k8s.io.api.policy.v1",
        "rbac.authorization.k8s.io/v1" => "k8s.io.api.rbac.v1",
        "scheduling.k8s.io/v1" => "k8s.io.api.scheduling.v1",
        _ => return None,
    })
}
