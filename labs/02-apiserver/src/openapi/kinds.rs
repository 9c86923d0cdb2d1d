//! The table from a kind (`apps/v1` Deployment) to the k8s-openapi type that knows its schema.
//!
//! schemars generates a schema from a Rust type, but the documents are driven by kinds named in
//! strings (the REST layer's registry). This table is the one place that connects the two. A
//! kind missing here still gets paths and an open schema (see `schemas.rs`), only without field
//! docs.

use std::borrow::Cow;

use k8s_openapi::api::{
    apps, autoscaling, batch, coordination, core, discovery, events, networking, policy, rbac,
    scheduling, storage,
};
use k8s_openapi::schemars::{JsonSchema, Schema, SchemaGenerator};

/// How to get the schema of one kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    /// The API group (`""` for core).
    pub(crate) group: &'static str,
    /// The version, e.g. `v1`.
    pub(crate) version: &'static str,
    /// The kind, e.g. `Deployment`.
    pub(crate) kind: &'static str,
    /// The schema's upstream name, e.g. `io.k8s.api.apps.v1.Deployment`: k8s-openapi's
    /// `JsonSchema::schema_name` already gives exactly the names of the real server's documents.
    pub(crate) name: fn() -> Cow<'static, str>,
    /// Adds the kind's schema, and every schema it references, to the generator's definitions.
    pub(crate) add_to: fn(&mut SchemaGenerator) -> Schema,
}

impl Kind {
    /// The upstream schema name (see [`Kind::name`]).
    pub(crate) fn schema_name(&self) -> String {
        (self.name)().into_owned()
    }
}

/// The table entry of the Rust type `K`. Group, version and kind come from k8s-openapi's
/// `Resource` constants, so a typo here cannot make a kind point at the wrong type.
const fn kind<K: k8s_openapi::Resource + JsonSchema>() -> Kind {
    Kind {
        group: K::GROUP,
        version: K::VERSION,
        kind: K::KIND,
        name: K::schema_name,
        add_to: SchemaGenerator::subschema_for::<K>,
    }
}

/// Every kind with a known schema: those the lab serves, and a few more a registry may add.
pub(crate) const KINDS: &[Kind] = &[
    // core/v1
    kind::<core::v1::ConfigMap>(),
    kind::<core::v1::Endpoints>(),
    kind::<core::v1::Event>(),
    kind::<core::v1::LimitRange>(),
    kind::<core::v1::Namespace>(),
    kind::<core::v1::Node>(),
    kind::<core::v1::PersistentVolume>(),
    kind::<core::v1::PersistentVolumeClaim>(),
    kind::<core::v1::Pod>(),
    kind::<core::v1::ReplicationController>(),
    kind::<core::v1::ResourceQuota>(),
    kind::<core::v1::Secret>(),
    kind::<core::v1::Service>(),
    kind::<core::v1::ServiceAccount>(),
    // apps/v1
    kind::<apps::v1::ControllerRevision>(),
    kind::<apps::v1::DaemonSet>(),
    kind::<apps::v1::Deployment>(),
    kind::<apps::v1::ReplicaSet>(),
    kind::<apps::v1::StatefulSet>(),
    // batch/v1
    kind::<batch::v1::CronJob>(),
    kind::<batch::v1::Job>(),
    // networking.k8s.io/v1
    kind::<networking::v1::Ingress>(),
    kind::<networking::v1::IngressClass>(),
    kind::<networking::v1::NetworkPolicy>(),
    // discovery.k8s.io/v1
    kind::<discovery::v1::EndpointSlice>(),
    // coordination.k8s.io/v1
    kind::<coordination::v1::Lease>(),
    // events.k8s.io/v1
    kind::<events::v1::Event>(),
    // policy/v1
    kind::<policy::v1::PodDisruptionBudget>(),
    // rbac.authorization.k8s.io/v1
    kind::<rbac::v1::ClusterRole>(),
    kind::<rbac::v1::ClusterRoleBinding>(),
    kind::<rbac::v1::Role>(),
    kind::<rbac::v1::RoleBinding>(),
    // scheduling.k8s.io/v1
    kind::<scheduling::v1::PriorityClass>(),
    // storage.k8s.io/v1
    kind::<storage::v1::StorageClass>(),
];

/// The kind of every `scale` subresource, whatever the resource: `autoscaling/v1` Scale.
pub(crate) const SCALE: Kind = kind::<autoscaling::v1::Scale>();

/// The table entry of a kind, if it has one.
pub(crate) fn find(group: &str, version: &str, kind: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.group == group && k.version == version && k.kind == kind)
}
