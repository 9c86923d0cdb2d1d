//! The Table itself: its envelope, the column definitions, `includeObject`, the default table.

use lab_02::table::{IncludeObject, TableError, table};
use serde_json::{Value, json};

use super::{ago, headers, meta, now, print_all, print_one};

fn config_map(name: &str) -> Value {
    json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name, 60), "data": { "a": "1" } })
}

#[test]
fn step5_table_envelope() {
    let table = print_all("", "configmaps", &[config_map("a"), config_map("b")]);
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(table["metadata"], json!({}));
    let rows = table["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "one row per object, in order");
    assert_eq!(rows[0]["cells"][0], "a");
    assert_eq!(rows[1]["cells"][0], "b");

    let empty = print_all("", "configmaps", &[]);
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(
        headers(&empty),
        "NAME DATA AGE",
        "columns even without rows"
    );
}

#[test]
fn step5_column_definitions_carry_every_field() {
    let table = print_all("apps", "deployments", &[]);
    let name = &table["columnDefinitions"][0];
    assert_eq!(name["name"], "Name");
    assert_eq!(name["type"], "string");
    assert_eq!(name["format"], "name");
    assert_eq!(name["priority"], 0);
    assert!(
        name["description"]
            .as_str()
            .expect("a description")
            .starts_with("Name must be unique")
    );
    let images = &table["columnDefinitions"][6];
    assert_eq!(images["name"], "Images");
    assert_eq!(images["format"], "");
    assert_eq!(images["priority"], 1, "wide only");
}

#[test]
fn step5_include_object_parses_the_query() {
    assert_eq!(
        IncludeObject::from_query(None).ok(),
        Some(IncludeObject::Metadata)
    );
    assert_eq!(
        IncludeObject::from_query(Some("")).ok(),
        Some(IncludeObject::Metadata)
    );
    assert_eq!(
        IncludeObject::from_query(Some("Metadata")).ok(),
        Some(IncludeObject::Metadata)
    );
    assert_eq!(
        IncludeObject::from_query(Some("None")).ok(),
        Some(IncludeObject::None)
    );
    assert_eq!(
        IncludeObject::from_query(Some("Object")).ok(),
        Some(IncludeObject::Object)
    );
    let err = IncludeObject::from_query(Some("object")).expect_err("case matters");
    assert_eq!(
        err.to_string(),
        r#"unrecognized includeObject value: "object""#
    );
}

#[test]
fn step5_include_object_modes() {
    let object = config_map("a");
    let row = |include| {
        let table = table(
            "",
            "configmaps",
            std::slice::from_ref(&object),
            include,
            now(),
        )
        .expect("a table");
        table["rows"][0].clone()
    };
    // Metadata (the default): enough for `-A`, `--show-labels` and `-L`.
    assert_eq!(
        row(IncludeObject::Metadata)["object"],
        json!({ "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"] })
    );
    // Object: what `--sort-by` reads.
    assert_eq!(row(IncludeObject::Object)["object"], object);
    // None: cells only.
    assert!(row(IncludeObject::None).get("object").is_none());
    assert_eq!(row(IncludeObject::None)["cells"][0], "a");
}

#[test]
fn step5_kinds_without_a_printer_get_name_and_created_at() {
    let role = json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                       "metadata": { "name": "view", "creationTimestamp": ago(3600) }, "rules": [] });
    let table = print_all("rbac.authorization.k8s.io", "clusterroles", &[role]);
    assert_eq!(headers(&table), "NAME CREATED AT");
    assert_eq!(table["columnDefinitions"][1]["type"], "date");
    assert_eq!(
        table["rows"][0]["cells"],
        json!(["view", "2026-01-01T11:00:00Z"])
    );
    // The group matters: a resource called pods in another group is not a Pod.
    let (headers, _) = print_one(
        "example.com",
        "pods",
        json!({ "metadata": { "name": "x" } }),
    );
    assert_eq!(headers, "NAME CREATED AT");
}

#[test]
fn step5_an_object_of_the_wrong_shape_is_an_error() {
    let broken = json!({ "metadata": { "name": "web" }, "spec": { "containers": "not a list" } });
    let err = table("", "pods", &[broken], IncludeObject::Metadata, now()).expect_err("not a Pod");
    assert!(
        matches!(&err, TableError::Decode { resource, name, .. } if resource == "pods" && name == "web")
    );
}
