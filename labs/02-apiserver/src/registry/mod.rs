//! The resource registry: the one table that says which resources this API server serves.
//!
//! Kubernetes names every type twice. A **kind** (`Deployment`) is the type of one object, the
//! `kind` field of its JSON; a **resource** (`deployments`) is the URL segment of the collection
//! that holds objects of that kind. A kind lives in an API **group** and **version**
//! (`apps/v1`; the core group is the empty string and is served under `/api/v1`, every other one
//! under `/apis/<group>/<version>`). For each resource the table also says whether it lives in a
//! namespace, which verbs it supports, which subresources it has (`status`, `scale`, ...), and
//! the names `kubectl` accepts for it (singular, short names, categories such as `all`).
//!
//! Every other part of the server reads this table: the REST handlers look a URL up in it
//! ([`lookup`]), and discovery (step 5) lists it for kubectl. Adding a resource is adding one
//! entry in `resources.rs`.

mod resources;

use serde_json::Value;

pub use resources::RESOURCES;

/// An API verb, as discovery lists it and as a request URL and method imply it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `POST` to a collection.
    Create,
    /// `GET` of one object.
    Get,
    /// `GET` of a collection.
    List,
    /// `GET` of a collection with `?watch=true` (step 4).
    Watch,
    /// `PUT` of one object.
    Update,
    /// `PATCH` of one object (step 5).
    Patch,
    /// `DELETE` of one object.
    Delete,
    /// `DELETE` of a collection.
    DeleteCollection,
}

impl Verb {
    /// The verb's name as Kubernetes spells it (`deletecollection`, all lowercase).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }
}

/// A subresource: a URL below one object (`/deployments/web/scale`) with its own kind and verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subresource {
    /// The last URL segment: `status`, `scale`, `binding`, `log`, `exec`, `finalize`.
    pub name: &'static str,
    /// The group of the kind it reads and writes (`autoscaling` for `scale`).
    pub group: &'static str,
    /// The version of that kind.
    pub version: &'static str,
    /// The kind it reads and writes: the parent's kind for `status`, `Scale` for `scale`.
    pub kind: &'static str,
    /// What can be done to it.
    pub verbs: &'static [Verb],
}

// ANCHOR: resource
/// One served resource. Every field is what discovery reports for it (`kubectl api-resources`).
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    /// The API group: `""` for the core group (`/api/v1`), `apps`, `batch`, ...
    pub group: &'static str,
    /// The version served (one per resource here).
    pub version: &'static str,
    /// The kind of one object: `Deployment`.
    pub kind: &'static str,
    /// The URL segment of the collection: `deployments`.
    pub plural: &'static str,
    /// The singular name kubectl accepts: `deployment`.
    pub singular: &'static str,
    /// Short names kubectl accepts: `deploy`.
    pub short_names: &'static [&'static str],
    /// Groups of resources kubectl can name at once: `all` (`kubectl get all`).
    pub categories: &'static [&'static str],
    /// True when objects live in a namespace (`/namespaces/<ns>/deployments/<name>`).
    pub namespaced: bool,
    /// The verbs the collection and its objects support.
    pub verbs: &'static [Verb],
    /// The subresources of one object.
    pub subresources: &'static [Subresource],
    /// Decodes a JSON object into this kind's Rust type (from `k8s-openapi`) and encodes it
    /// back. Whatever the type does not know is dropped on the way, which is how the REST layer
    /// finds unknown fields and wrong types (see `rest::body`).
    pub(crate) round_trip: fn(&Value) -> Result<Value, serde_json::Error>,
}
// ANCHOR_END: resource

impl Resource {
    /// The `apiVersion` of its objects: `v1` for the core group, `apps/v1` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The name Kubernetes uses for it in messages: `pods`, `deployments.apps`.
    pub fn qualified_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The kind of a list of these objects: `DeploymentList`.
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// The resource segment of its keys in the store (`/registry/<this>/<ns>/<name>`).
    ///
    /// The plural name. (kube-apiserver keeps a few historical names instead, such as
    /// `minions` for nodes and `services/specs` for services; nothing here depends on them.)
    pub fn storage_name(&self) -> &'static str {
        self.plural
    }

    /// True when the resource supports `verb`.
    pub fn allows(&self, verb: Verb) -> bool {
        self.verbs.contains(&verb)
    }

    /// The subresource called `name`, if this resource has one.
    pub fn subresource(&self, name: &str) -> Option<&'static Subresource> {
        self.subresources.iter().find(|sub| sub.name == name)
    }

    /// True when the resource has a `status` subresource: then `status` is written only through
    /// it, and the main resource's updates keep the stored status.
    pub fn has_status(&self) -> bool {
        self.subresource("status").is_some()
    }
}

/// The resource served at `/api/<version>/<plural>` (group `""`) or
/// `/apis/<group>/<version>/<plural>`.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|resource| {
        resource.group == group && resource.version == version && resource.plural == plural
    })
}

/// Every served resource, in the order of the table.
pub fn all() -> &'static [Resource] {
    RESOURCES
}
