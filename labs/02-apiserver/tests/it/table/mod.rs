//! Step 5, server-side printing: objects in, the Table `kubectl get` prints out.
//!
//! Every expected header and cell here is what the real apiserver's printers
//! (k8s.io/kubernetes `pkg/printers/internalversion/printers.go`, 1.33) produce for the same
//! object. Time is fixed: `now()` is noon on 2026-01-01 and objects are created `ago(..)`.

mod ages;
mod core;
mod pods;
mod shape;
mod workloads;

use k8s_openapi::jiff::{SignedDuration, Timestamp};
use lab_02::table::{IncludeObject, table};
use serde_json::{Value, json};

/// The time every test prints at.
fn now() -> Timestamp {
    "2026-01-01T12:00:00Z".parse().expect("a valid timestamp")
}

/// The timestamp `seconds` before [`now`], as the API writes it.
fn ago(seconds: i64) -> String {
    let at = now()
        .checked_sub(SignedDuration::from_secs(seconds))
        .expect("in range");
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The Table of `objects` (with the default `includeObject`).
fn print_all(group: &str, resource: &str, objects: &[Value]) -> Value {
    table(group, resource, objects, IncludeObject::Metadata, now()).expect("a table")
}

/// The headers kubectl shows for a Table: upper-cased names, `-o wide` ones after a `|`.
fn headers(table: &Value) -> String {
    let columns = table["columnDefinitions"].as_array().expect("columns");
    let pick = |priority: i64| {
        columns
            .iter()
            .filter(|c| c["priority"] == priority)
            .map(|c| c["name"].as_str().expect("a name").to_uppercase())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let wide = pick(1);
    if wide.is_empty() {
        pick(0)
    } else {
        format!("{} | {wide}", pick(0))
    }
}

/// The cells of the first row.
fn cells(table: &Value) -> Vec<Value> {
    table["rows"][0]["cells"].as_array().expect("cells").clone()
}

/// Prints one object and returns (headers, cells of its row), checking that the row has a cell
/// for every column.
fn print_one(group: &str, resource: &str, object: Value) -> (String, Vec<Value>) {
    let table = print_all(group, resource, &[object]);
    let cells = cells(&table);
    assert_eq!(
        cells.len(),
        table["columnDefinitions"].as_array().map_or(0, Vec::len),
        "one cell per column"
    );
    (headers(&table), cells)
}

/// Shorthand for an object's metadata created `seconds` ago.
fn meta(name: &str, seconds: i64) -> Value {
    json!({ "name": name, "namespace": "default", "uid": "u-1", "creationTimestamp": ago(seconds) })
}
