//! `paths`: one operation per served resource, verb and URL, as the real server lists them.
//!
//! ```text
//! /apis/apps/v1/deployments                              get (list, all namespaces)
//! /apis/apps/v1/namespaces/{namespace}/deployments       get (list), post, delete (collection)
//! /apis/apps/v1/namespaces/{namespace}/deployments/{name}            get, put, patch, delete
//! /apis/apps/v1/namespaces/{namespace}/deployments/{name}/status     get, put, patch
//! /apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale      get, put, patch
//! ```
//!
//! (`scale` reads and writes an `autoscaling/v1` Scale, whatever the resource.)
//!
//! Each operation names the kind it acts on (`x-kubernetes-group-version-kind`) and what it does
//! (`x-kubernetes-action`). kubectl reads two things from them: `explain` finds a resource's kind
//! on its paths, and validation looks for the kind's PATCH operation and whether it accepts the
//! `fieldValidation` query parameter. When it does, kubectl sends `?fieldValidation=Strict` and
//! leaves the checking of fields to the server.
//!
//! PATCH operations deliberately have no `requestBody`. With one that offers
//! `application/strategic-merge-patch+json`, kubectl computes `apply`'s patches from *our*
//! schemas' `x-kubernetes-patch-merge-key`s, which schemars does not write, and would replace
//! lists it must merge. Without one, kubectl uses the merge keys compiled into it for built-in
//! kinds, which are right.

use serde_json::{Map, Value, json};

use super::operation::{
    DELETE, DELETE_COLLECTION, LIST, PATCH, WRITE, delete_body, path_parameter, query,
    request_body, responses,
};
use super::schemas::{GVK_EXTENSION, gvk, kind_schema_name, list_schema_name, status_name};
use super::{ServedResource, group_version_path, kinds};

/// The `paths` of a document serving `resources`.
pub(crate) fn paths(resources: &[&ServedResource]) -> Map<String, Value> {
    let mut paths = Map::new();
    for resource in resources {
        let target = Target::resource(resource);
        let root = format!(
            "/{}",
            group_version_path(&resource.group, &resource.version)
        );
        let collection = if resource.namespaced {
            format!("{root}/namespaces/{{namespace}}/{}", resource.plural)
        } else {
            format!("{root}/{}", resource.plural)
        };
        let item = format!("{collection}/{{name}}");

        add(
            &mut paths,
            &collection,
            resource.namespaced,
            false,
            collection_operations(resource, &target),
        );
        if resource.namespaced && resource.serves("list") {
            // The list across namespaces: `kubectl get deployments -A`.
            let across = format!("{root}/{}", resource.plural);
            let mut operations = Map::new();
            let noun = format!("{}ForAllNamespaces", target.kind);
            operations.insert("get".into(), target.list(&noun));
            add(&mut paths, &across, false, false, operations);
        }
        add(
            &mut paths,
            &item,
            resource.namespaced,
            true,
            item_operations(resource, &target),
        );
        for sub in ["status", "scale"] {
            if resource.has_subresource(sub) {
                let target = Target::subresource(resource, sub);
                let operations = subresource_operations(&target);
                add(
                    &mut paths,
                    &format!("{item}/{sub}"),
                    resource.namespaced,
                    true,
                    operations,
                );
            }
        }
    }
    paths
}

/// What operations on one URL act on, and the names they are known by.
struct Target {
    /// The kind in the operations' `x-kubernetes-group-version-kind`.
    gvk: Value,
    /// The schema of the bodies sent and received.
    schema: String,
    /// The schema of lists of them.
    list_schema: String,
    /// The group-version part of operation ids (`AppsV1`, `CoreV1`, `NetworkingV1`).
    group_version_id: String,
    /// The operations' tag, e.g. `apps_v1`.
    tag: String,
    /// The rest of operation ids: `NamespacedDeployment`, `Node`, `NamespacedDeploymentScale`.
    noun_id: String,
    /// The kind, in descriptions.
    kind: String,
    /// Words before the kind in item descriptions: `` or `status of `.
    part: String,
}

impl Target {
    fn resource(resource: &ServedResource) -> Self {
        let (group, version, kind) = (&resource.group, &resource.version, &resource.kind);
        let scope = if resource.namespaced {
            "Namespaced"
        } else {
            ""
        };
        Self {
            gvk: gvk(group, version, kind),
            schema: kind_schema_name(group, version, kind),
            list_schema: list_schema_name(group, version, kind),
            group_version_id: format!("{}{}", group_id(group), capitalize(version)),
            tag: format!("{}_{version}", lower_first(&group_id(group))),
            noun_id: format!("{scope}{kind}"),
            kind: kind.clone(),
            part: String::new(),
        }
    }

    /// `status` has the resource's own kind; every `scale` is an `autoscaling/v1` Scale.
    fn subresource(resource: &ServedResource, sub: &str) -> Self {
        let mut target = Self::resource(resource);
        if sub == "scale" {
            let scale = &kinds::SCALE;
            target.gvk = gvk(scale.group, scale.version, scale.kind);
            target.schema = scale.schema_name();
        }
        target.noun_id.push_str(&capitalize(sub));
        target.part = format!("{sub} of ");
        target
    }

    /// One operation on this target.
    fn operation(
        &self,
        action: &str,
        id: String,
        description: String,
        parameters: &[&str],
        request_body: Option<Value>,
        responses: Value,
    ) -> Value {
        let mut operation = Map::new();
        operation.insert("tags".into(), json!([self.tag]));
        operation.insert("description".into(), Value::String(description));
        operation.insert("operationId".into(), Value::String(id));
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(query(parameters)));
        }
        if let Some(body) = request_body {
            operation.insert("requestBody".into(), body);
        }
        operation.insert("responses".into(), responses);
        operation.insert("x-kubernetes-action".into(), action.into());
        operation.insert(GVK_EXTENSION.into(), self.gvk.clone());
        Value::Object(operation)
    }

    /// The list operation (a GET on a collection URL); `noun_id` differs across namespaces.
    fn list(&self, noun_id: &str) -> Value {
        self.operation(
            "list",
            format!("list{}{noun_id}", self.group_version_id),
            format!("list or watch objects of kind {}", self.kind),
            LIST,
            None,
            responses(&["200"], &self.list_schema),
        )
    }
}

/// The operations on a collection URL: list, create, delete the collection.
fn collection_operations(resource: &ServedResource, target: &Target) -> Map<String, Value> {
    let (gv, noun, kind) = (&target.group_version_id, &target.noun_id, &target.kind);
    let mut operations = Map::new();
    if resource.serves("list") {
        operations.insert("get".into(), target.list(noun));
    }
    if resource.serves("create") {
        let operation = target.operation(
            "post",
            format!("create{gv}{noun}"),
            format!("create a {kind}"),
            WRITE,
            Some(request_body(&target.schema)),
            responses(&["200", "201", "202"], &target.schema),
        );
        operations.insert("post".into(), operation);
    }
    if resource.serves("deletecollection") {
        let operation = target.operation(
            "deletecollection",
            format!("delete{gv}Collection{noun}"),
            format!("delete collection of {kind}"),
            DELETE_COLLECTION,
            Some(delete_body()),
            responses(&["200"], &status_name()),
        );
        operations.insert("delete".into(), operation);
    }
    operations
}

// ANCHOR: item_operations
/// The operations on an object's URL: read (GET), replace (PUT), patch (PATCH) and delete
/// (DELETE), for the verbs the resource serves. Every one carries the kind it acts on, and the
/// writes declare `fieldValidation`, which is what makes kubectl validate on the server.
fn item_operations(resource: &ServedResource, target: &Target) -> Map<String, Value> {
    // BEGIN SOLUTION step-5: for each served verb (get, update, patch, delete) add the operation under its HTTP method, with its query parameters (the writes list fieldValidation); PATCH has no request body
    let (gv, noun, kind) = (&target.group_version_id, &target.noun_id, &target.kind);
    let mut operations = Map::new();
    if resource.serves("get") {
        let operation = target.operation(
            "get",
            format!("read{gv}{noun}"),
            format!("read the specified {kind}"),
            &[],
            None,
            responses(&["200"], &target.schema),
        );
        operations.insert("get".into(), operation);
    }
    if resource.serves("update") {
        let operation = target.operation(
            "put",
            format!("replace{gv}{noun}"),
            format!("replace the specified {kind}"),
            WRITE,
            Some(request_body(&target.schema)),
            responses(&["200", "201"], &target.schema),
        );
        operations.insert("put".into(), operation);
    }
    if resource.serves("patch") {
        // No request body: see the module documentation.
        let operation = target.operation(
            "patch",
            format!("patch{gv}{noun}"),
            format!("partially update the specified {kind}"),
            PATCH,
            None,
            responses(&["200", "201"], &target.schema),
        );
        operations.insert("patch".into(), operation);
    }
    if resource.serves("delete") {
        let operation = target.operation(
            "delete",
            format!("delete{gv}{noun}"),
            format!("delete a {kind}"),
            DELETE,
            Some(delete_body()),
            responses(&["200", "202"], &status_name()),
        );
        operations.insert("delete".into(), operation);
    }
    operations
    // END SOLUTION
}
// ANCHOR_END: item_operations

/// The operations of a `status` or `scale` subresource: read, replace, patch.
fn subresource_operations(target: &Target) -> Map<String, Value> {
    let (gv, noun, kind, part) = (
        &target.group_version_id,
        &target.noun_id,
        &target.kind,
        &target.part,
    );
    let read = target.operation(
        "get",
        format!("read{gv}{noun}"),
        format!("read {part}the specified {kind}"),
        &[],
        None,
        responses(&["200"], &target.schema),
    );
    let replace = target.operation(
        "put",
        format!("replace{gv}{noun}"),
        format!("replace {part}the specified {kind}"),
        WRITE,
        Some(request_body(&target.schema)),
        responses(&["200", "201"], &target.schema),
    );
    let patch = target.operation(
        "patch",
        format!("patch{gv}{noun}"),
        format!("partially update {part}the specified {kind}"),
        PATCH,
        None,
        responses(&["200", "201"], &target.schema),
    );
    [("get", read), ("put", replace), ("patch", patch)]
        .into_iter()
        .map(|(method, operation)| (method.to_owned(), operation))
        .collect()
}

/// Adds a path with its operations (none: no path) and the parameters every operation on it
/// shares: `{name}`, `{namespace}` and `pretty`.
fn add(
    paths: &mut Map<String, Value>,
    url: &str,
    namespaced: bool,
    named: bool,
    operations: Map<String, Value>,
) {
    if operations.is_empty() {
        return;
    }
    let mut parameters = Vec::new();
    if named {
        parameters.push(path_parameter("name", "name of the object"));
    }
    if namespaced {
        parameters.push(path_parameter(
            "namespace",
            "object name and auth scope, such as for teams and projects",
        ));
    }
    parameters.extend(query(&["pretty"]));
    let mut item = operations;
    item.insert("parameters".into(), Value::Array(parameters));
    paths.insert(url.to_owned(), Value::Object(item));
}

/// The group part of operation ids: the group without `.k8s.io`, each word capitalized:
/// `Core`, `Apps`, `Networking`, `RbacAuthorization`.
fn group_id(group: &str) -> String {
    let group = if group.is_empty() {
        "core"
    } else {
        group.strip_suffix(".k8s.io").unwrap_or(group)
    };
    group.split(['.', '-']).map(capitalize).collect()
}

/// `apps` -> `Apps`.
fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `RbacAuthorization` -> `rbacAuthorization`.
fn lower_first(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
