//! `components.schemas`: the schema of every served kind and of everything it references.
//!
//! schemars does the walking: asking it for the schema of `Deployment` adds `Deployment`, then
//! `DeploymentSpec`, `ObjectMeta`, `PodTemplateSpec`, ... each once, under the name k8s-openapi
//! gives it, which is the upstream one. Two things are ours:
//!
//! - **Where `$ref`s point.** schemars writes JSON Schema by default (`#/$defs/...`, and
//!   `{"$ref": .., "description": ..}` side by side). Its OpenAPI 3 settings put definitions at
//!   `#/components/schemas/...` and wrap a `$ref` that has siblings into
//!   `{"allOf": [{"$ref": ..}], "description": ..}`, which is how the real server writes a field
//!   whose type is another schema (OpenAPI 3.0 ignores siblings of a bare `$ref`).
//! - **Which schema is which kind.** `kubectl explain` picks the schema whose
//!   `x-kubernetes-group-version-kind` list holds the kind it looks for; schemars knows nothing
//!   of kinds, so we add that list to each kind's schema, and write the list kinds
//!   (`DeploymentList`), which have no schemars impl.
//!
//! The real schemas also carry `x-kubernetes-patch-merge-key` and friends; these do not. That is
//! why the PATCH operations have no request body (see `paths.rs`).

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{DeleteOptions, ListMeta, ObjectMeta, Status};
use k8s_openapi::schemars::JsonSchema;
use k8s_openapi::schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::ServedResource;
use super::kinds::{self, Kind};

/// The extension that tells which kinds a schema (a list of them) or an operation (one) is for.
pub(crate) const GVK_EXTENSION: &str = "x-kubernetes-group-version-kind";

/// A `group`/`version`/`kind` triple as the extensions write it.
pub(crate) fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({ "group": group, "kind": kind, "version": version })
}

/// A reference to the schema `name` of the same document.
pub(crate) fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The upstream name of `meta/v1` Status, the body of delete answers and errors.
pub(crate) fn status_name() -> String {
    Status::schema_name().into_owned()
}

/// The upstream name of `meta/v1` DeleteOptions, the body of DELETE requests.
pub(crate) fn delete_options_name() -> String {
    DeleteOptions::schema_name().into_owned()
}

/// The upstream schema name of a kind: from the table in `kinds.rs`, or, for a kind it does not
/// know, made the way the real server names built-in kinds (`io.k8s.api.<group>.<version>.<Kind>`)
/// and custom ones (the group reversed: `com.example.v1.Widget` for `example.com`).
pub(crate) fn kind_schema_name(group: &str, version: &str, kind: &str) -> String {
    if let Some(known) = kinds::find(group, version, kind) {
        return known.schema_name();
    }
    let prefix = if group.is_empty() {
        "io.k8s.api.core".to_owned()
    } else if let Some(short) = group.strip_suffix(".k8s.io") {
        format!("io.k8s.api.{}", short.replace('.', ""))
    } else if !group.contains('.') {
        format!("io.k8s.api.{group}")
    } else {
        group.split('.').rev().collect::<Vec<_>>().join(".")
    };
    format!("{prefix}.{version}.{kind}")
}

/// The upstream name of a kind's list: the kind's name with `List` appended.
pub(crate) fn list_schema_name(group: &str, version: &str, kind: &str) -> String {
    format!("{}List", kind_schema_name(group, version, kind))
}

// ANCHOR: generate
/// Generates the schemas of `kinds` and of everything they reference, by upstream name, with
/// `$ref`s that resolve inside an OpenAPI 3 document (`#/components/schemas/<name>`).
pub(crate) fn generate(kinds: &[&Kind]) -> Map<String, Value> {
    // BEGIN SOLUTION step-5: generate with schemars' OpenAPI 3 settings: each kind's schema (and everything it references), plus Status, DeleteOptions and ListMeta, then take the definitions with the transforms applied
    let mut generator = SchemaSettings::openapi3().into_generator();
    for kind in kinds {
        (kind.add_to)(&mut generator);
    }
    // Every document also describes what its operations answer or take besides the kinds.
    generator.subschema_for::<Status>();
    generator.subschema_for::<DeleteOptions>();
    generator.subschema_for::<ListMeta>();
    generator.subschema_for::<ObjectMeta>();
    // The transforms (ref siblings into `allOf`, ...) run on the definitions only when asked.
    generator.take_definitions(true)
    // END SOLUTION
}
// ANCHOR_END: generate

/// `components.schemas` for a document serving `resources` (all of one group-version).
/// `group_versions` are all the served ones, for DeleteOptions' kind list.
pub(crate) fn component_schemas(
    resources: &[&ServedResource],
    group_versions: &[(String, String)],
) -> Map<String, Value> {
    // Each kind once, even if two resources serve it.
    let served_kinds: BTreeSet<(&str, &str, &str)> = resources
        .iter()
        .map(|r| (r.group.as_str(), r.version.as_str(), r.kind.as_str()))
        .collect();
    let mut known: Vec<&Kind> = served_kinds
        .iter()
        .filter_map(|(g, v, k)| kinds::find(g, v, k))
        .collect();
    let scaled = resources.iter().any(|r| r.has_subresource("scale"));
    if scaled {
        known.push(&kinds::SCALE);
    }

    let mut schemas = generate(&known);

    for &(group, version, kind) in &served_kinds {
        let name = kind_schema_name(group, version, kind);
        match schemas.get_mut(&name).and_then(Value::as_object_mut) {
            Some(schema) => {
                schema.insert(GVK_EXTENSION.into(), json!([gvk(group, version, kind)]));
                metadata_is_optional(schema);
            }
            None => {
                tracing::debug!(
                    group,
                    version,
                    kind,
                    "no schema known: describing an open object"
                );
                schemas.insert(name.clone(), open_schema(group, version, kind));
            }
        }
        let list = list_schema(&name, &schemas, (group, version, kind));
        schemas.insert(list_schema_name(group, version, kind), list);
    }

    if scaled {
        let scale = &kinds::SCALE;
        tag(
            &mut schemas,
            &scale.schema_name(),
            vec![gvk(scale.group, scale.version, scale.kind)],
        );
    }
    tag(&mut schemas, &status_name(), vec![gvk("", "v1", "Status")]);
    let delete_options = group_versions
        .iter()
        .map(|(group, version)| gvk(group, version, "DeleteOptions"))
        .collect();
    tag(&mut schemas, &delete_options_name(), delete_options);
    schemas
}

/// Sets the kind list of the schema `name`, if there is one.
fn tag(schemas: &mut Map<String, Value>, name: &str, kinds: Vec<Value>) {
    if let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut) {
        schema.insert(GVK_EXTENSION.into(), Value::Array(kinds));
        metadata_is_optional(schema);
    }
}

/// Takes `metadata` out of a kind's `required` list. k8s-openapi lists it because its Rust field
/// is not an `Option`, but the API does not require it (`generateName` alone is enough), and
/// the real documents do not mark it: `kubectl explain deployment` would show `-required-`.
fn metadata_is_optional(schema: &mut Map<String, Value>) {
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|field| field != "metadata");
        if required.is_empty() {
            schema.remove("required");
        }
    }
}

/// The schema of a kind whose fields we do not know: any object, with the usual header, so that
/// explain still names it and the server (not kubectl) judges its fields.
fn open_schema(group: &str, version: &str, kind: &str) -> Value {
    json!({
        "description": format!("{kind} objects. This server has no schema for their fields."),
        "type": "object",
        "properties": {
            "apiVersion": {
                "type": "string",
                "description": "The versioned schema of this object.",
            },
            "kind": {
                "type": "string",
                "description": "The REST resource this object represents.",
            },
            "metadata": {
                "allOf": [schema_ref(&ObjectMeta::schema_name())],
                "description": "Standard object's metadata.",
            },
        },
        "x-kubernetes-preserve-unknown-fields": true,
        GVK_EXTENSION: [gvk(group, version, kind)],
    })
}

/// The schema of a list kind (`DeploymentList`): `items` of the kind `item` names, plus
/// `metadata` of type ListMeta. `apiVersion` and `kind` are described as in the item's schema.
fn list_schema(
    item: &str,
    schemas: &Map<String, Value>,
    (group, version, kind): (&str, &str, &str),
) -> Value {
    let header = |field: &str| {
        schemas
            .get(item)
            .and_then(|schema| schema.pointer(&format!("/properties/{field}")))
            .cloned()
            .unwrap_or_else(|| json!({ "type": "string" }))
    };
    let list_kind = format!("{kind}List");
    json!({
        "description": format!("{list_kind} is a list of {kind} objects."),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": header("apiVersion"),
            "items": {
                "description": format!("The {kind} objects."),
                "type": "array",
                "items": { "allOf": [schema_ref(item)], "default": {} },
            },
            "kind": header("kind"),
            "metadata": {
                "allOf": [schema_ref(&ListMeta::schema_name())],
                "default": {},
                "description": "Standard list metadata.",
            },
        },
        GVK_EXTENSION: [gvk(group, version, &list_kind)],
    })
}
