//! Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` shows.
//!
//! `kubectl get pods` does not know what a Pod's columns are. It sends
//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...` and the server answers with a
//! Table: the column definitions, then one row of pre-rendered cells per object. kubectl prints
//! the columns of priority 0, adds those of priority 1 for `-o wide`, and reads everything else it
//! needs (the NAMESPACE column of `-A`, `--show-labels`, `-L`, `--sort-by`) from the object each
//! row carries. So the familiar `NAME READY STATUS RESTARTS AGE` comes from here.
//!
//! ```text
//! {"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{},
//!  "columnDefinitions":[{"name":"Name","type":"string","format":"name","description":"..","priority":0},..],
//!  "rows":[{"cells":["web-1","1/1","Running","0","5m",..],
//!           "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{..}}}]}
//! ```
//!
//! The columns and cells are those of the real printers (k8s.io/kubernetes
//! `pkg/printers/internalversion/printers.go`), which the real server always runs in their
//! "wide" form: every row has a cell for every column, and hiding the wide ones is kubectl's job.
//! A kind without a printer gets the server's default table: `Name` and `Created At`.
//!
//! - [`table`]: objects in, Table out. Start here.
//! - [`IncludeObject`]: what each row carries (`?includeObject=None|Metadata|Object`).
//! - [`age`]: the AGE cells (`HumanDuration`).
//! - `pod`, `node`, `event`, `core`, `apps`, `batch`, `other`: one printer per kind; `format`: cell helpers
//!   they share (labels, selectors, container lists).

pub mod age;
mod apps;
mod batch;
mod core;
mod descriptions;
mod event;
mod format;
mod node;
mod other;
mod pod;

use k8s_openapi::jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Why a Table could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// `?includeObject=` had a value other than `None`, `Metadata` or `Object` (a 400 Bad
    /// Request, with this message, in the real server).
    #[error("unrecognized includeObject value: {0:?}")]
    UnknownIncludeObject(String),
    /// A stored object does not have the shape of its kind, so its cells cannot be computed.
    #[error("cannot print {resource} {name:?} as a table row")]
    Decode {
        /// The resource being listed, e.g. `pods`.
        resource: String,
        /// The object's `metadata.name`, if it has one.
        name: String,
        /// What serde did not like.
        #[source]
        source: serde_json::Error,
    },
}

/// What each row carries besides its cells: the `includeObject` query parameter
/// (`metav1.IncludeObjectPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// No object: cells only.
    None,
    /// The object's metadata as a `PartialObjectMetadata` (the default). Enough for kubectl's
    /// NAMESPACE column (`-A`), `--show-labels` and `-L`.
    #[default]
    Metadata,
    /// The whole object. kubectl asks for it with `--sort-by`, which reads the sort field from it.
    Object,
}

impl IncludeObject {
    /// Parses `?includeObject=`: absent or empty means `Metadata`; anything but `None`,
    /// `Metadata` and `Object` (exact case, as in the real server) is an error.
    pub fn from_query(value: Option<&str>) -> Result<Self, TableError> {
        match value {
            None | Some("") | Some("Metadata") => Ok(Self::Metadata),
            Some("None") => Ok(Self::None),
            Some("Object") => Ok(Self::Object),
            Some(other) => Err(TableError::UnknownIncludeObject(other.to_owned())),
        }
    }
}

/// One column of a Table (`metav1.TableColumnDefinition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The header, as the real printer spells it (`Name`, `Up-to-date`); kubectl upper-cases it.
    pub name: &'static str,
    /// An OpenAPI type: `string`, `integer`, `boolean`, `date`.
    pub kind: &'static str,
    /// An OpenAPI format; `name` marks the column that holds the object's name.
    pub format: &'static str,
    /// What the column shows; the real printers mostly reuse the field's API documentation.
    pub description: &'static str,
    /// 0: always shown; 1: shown only with `-o wide`.
    pub priority: i32,
}

impl Column {
    /// A string column of priority 0.
    pub const fn string(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            kind: "string",
            format: "",
            description,
            priority: 0,
        }
    }

    /// An integer column of priority 0.
    pub const fn integer(name: &'static str, description: &'static str) -> Self {
        Self {
            kind: "integer",
            ..Self::string(name, description)
        }
    }

    /// A boolean column of priority 0.
    pub const fn boolean(name: &'static str, description: &'static str) -> Self {
        Self {
            kind: "boolean",
            ..Self::string(name, description)
        }
    }

    /// The same column, shown only with `-o wide` (priority 1).
    pub const fn wide(self) -> Self {
        Self {
            priority: 1,
            ..self
        }
    }

    /// The `Name` column every printer starts with.
    pub const NAME: Self = Self {
        format: "name",
        ..Self::string("Name", NAME_DESCRIPTION)
    };

    /// The `Age` column: the object's `creationTimestamp` as an age.
    pub const AGE: Self = Self::string("Age", CREATED_DESCRIPTION);

    /// The column definition as JSON.
    fn to_json(self) -> Value {
        json!({
            "name": self.name,
            "type": self.kind,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// `ObjectMeta.name`'s documentation, the description of every `Name` column.
pub const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of a name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

/// `ObjectMeta.creationTimestamp`'s documentation, the description of every `Age` column.
pub const CREATED_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// The cells of one object, plus the row conditions some printers add (a finished Pod's row is
/// marked `Completed`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    /// One cell per column, in column order: strings, integers or booleans.
    pub cells: Vec<Value>,
    /// `metav1.TableRowCondition`s, usually none.
    pub conditions: Vec<Value>,
}

impl Row {
    /// A row of these cells and no conditions.
    pub fn new(cells: Vec<Value>) -> Self {
        Self {
            cells,
            conditions: Vec::new(),
        }
    }
}

/// How to print one kind: its columns, and the function that makes an object's row.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// The column definitions, wide ones included.
    pub columns: &'static [Column],
    /// One object (as stored) and the current time in; its row out.
    pub row: fn(&Value, Timestamp) -> Result<Row, TableError>,
}

/// The printer for a resource of an API group (`""` is the core group), or the default
/// (`Name`, `Created At`) for resources without one.
pub fn printer_for(group: &str, resource: &str) -> &'static Printer {
    match (group, resource) {
        ("", "pods") => &pod::PODS,
        ("", "services") => &core::SERVICES,
        ("", "endpoints") => &core::ENDPOINTS,
        ("", "namespaces") => &core::NAMESPACES,
        ("", "nodes") => &node::NODES,
        ("", "configmaps") => &core::CONFIG_MAPS,
        ("", "secrets") => &core::SECRETS,
        ("", "events") => &event::EVENTS,
        ("", "serviceaccounts") => &core::SERVICE_ACCOUNTS,
        ("", "persistentvolumeclaims") => &core::PERSISTENT_VOLUME_CLAIMS,
        ("apps", "deployments") => &apps::DEPLOYMENTS,
        ("apps", "replicasets") => &apps::REPLICA_SETS,
        ("apps", "daemonsets") => &apps::DAEMON_SETS,
        ("apps", "statefulsets") => &apps::STATEFUL_SETS,
        ("apps", "controllerrevisions") => &apps::CONTROLLER_REVISIONS,
        ("batch", "jobs") => &batch::JOBS,
        ("batch", "cronjobs") => &batch::CRON_JOBS,
        ("networking.k8s.io", "ingresses") => &other::INGRESSES,
        ("discovery.k8s.io", "endpointslices") => &other::ENDPOINT_SLICES,
        ("coordination.k8s.io", "leases") => &other::LEASES,
        _ => &DEFAULT,
    }
}

// ANCHOR: table
/// Converts `objects` (list items or the one object of a get or watch event, as stored) of
/// `resource` in `group` into a whole `meta.k8s.io/v1` Table, as JSON. Its `metadata` is empty:
/// the caller sets `resourceVersion` and `continue` as for a list. Each row carries what
/// `include` asks for: nothing, a `PartialObjectMetadata` (`kind`, `apiVersion` and the object's
/// `metadata`), or the object itself. `now` is the time the ages are computed at.
pub fn table(
    group: &str,
    resource: &str,
    objects: &[Value],
    include: IncludeObject,
    now: Timestamp,
) -> Result<Value, TableError> {
    // BEGIN SOLUTION step-5: pick the printer, make each object's row (cells, conditions when there are some, and the object include asks for), and wrap columns and rows in a Table
    let printer = printer_for(group, resource);
    let mut rows = Vec::with_capacity(objects.len());
    for object in objects {
        let row = (printer.row)(object, now)?;
        let mut json_row = json!({ "cells": row.cells });
        if !row.conditions.is_empty() {
            json_row["conditions"] = Value::Array(row.conditions);
        }
        match include {
            IncludeObject::None => {}
            IncludeObject::Metadata => {
                json_row["object"] = json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
                });
            }
            IncludeObject::Object => json_row["object"] = object.clone(),
        }
        rows.push(json_row);
    }
    let columns: Vec<Value> = printer.columns.iter().map(|c| c.to_json()).collect();
    Ok(json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    }))
    // END SOLUTION
}
// ANCHOR_END: table

/// The server's default table for kinds without a printer (`defaultTableConvertor` in
/// k8s.io/apiserver): the name, and the creation time as an RFC 3339 date (not an age).
static DEFAULT: Printer = Printer {
    columns: &[
        Column::NAME,
        Column {
            kind: "date",
            ..Column::string("Created At", CREATED_DESCRIPTION)
        },
    ],
    row: default_row,
};

fn default_row(object: &Value, _now: Timestamp) -> Result<Row, TableError> {
    let no_metadata = json!({});
    let meta: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta =
        decode(object.get("metadata").unwrap_or(&no_metadata), "objects")?;
    // Go formats the zero time when there is none.
    let created = meta.creation_timestamp.map_or_else(
        || "0001-01-01T00:00:00Z".to_owned(),
        |time| time.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    Ok(Row::new(vec![
        meta.name.unwrap_or_default().into(),
        created.into(),
    ]))
}

/// Reads a stored object as its typed form (`Pod`, `Deployment`, ...). `resource` only names the
/// object in the error.
pub(crate) fn decode<T: DeserializeOwned>(object: &Value, resource: &str) -> Result<T, TableError> {
    T::deserialize(object).map_err(|source| TableError::Decode {
        resource: resource.to_owned(),
        name: object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        source,
    })
}
