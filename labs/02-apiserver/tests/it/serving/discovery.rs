//! Discovery, `/version`, health and the OpenAPI routes.

use serde_json::json;

use super::{get, router};

const V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const V2BETA1: &str = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

#[tokio::test]
async fn step5_version_reports_1_33_and_health_endpoints_say_ok() {
    let router = router().await;
    let version = get(&router, "/version?timeout=5s", "application/json, */*").await;
    assert_eq!(version.code, 200);
    assert_eq!(version.body["major"], "1");
    assert_eq!(version.body["minor"], "33");
    assert_eq!(version.body["gitVersion"], "v1.33.0-lab");
    for path in ["/healthz", "/livez", "/readyz"] {
        let answer = get(&router, path, "*/*").await;
        assert_eq!(
            (answer.code, answer.bytes.as_slice()),
            (200, &b"ok"[..]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn step5_legacy_discovery_lists_versions_groups_and_resources() {
    let router = router().await;
    let api = get(&router, "/api?timeout=32s", "application/json, */*").await;
    assert_eq!(api.code, 200);
    assert_eq!(api.content_type, "application/json");
    assert_eq!(api.body["kind"], "APIVersions");
    assert_eq!(api.body["versions"], json!(["v1"]));
    assert_eq!(
        api.body["serverAddressByClientCIDRs"][0]["clientCIDR"],
        "0.0.0.0/0"
    );

    let apis = get(&router, "/apis", "application/json").await;
    assert_eq!(apis.body["kind"], "APIGroupList");
    let apps = apis.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == "apps")
        .expect("the apps group");
    assert_eq!(
        apps["preferredVersion"],
        json!({"groupVersion": "apps/v1", "version": "v1"})
    );

    let group = get(&router, "/apis/apps", "application/json").await;
    assert_eq!(group.body["kind"], "APIGroup");
    assert_eq!(
        get(&router, "/apis/nope", "application/json").await.code,
        404
    );
    assert_eq!(
        get(&router, "/apis/apps/v2", "application/json").await.code,
        404
    );
}

#[tokio::test]
async fn step5_resource_lists_name_subresources_with_a_slash() {
    let router = router().await;
    let core = get(&router, "/api/v1", "application/json").await;
    assert_eq!(core.body["kind"], "APIResourceList");
    assert_eq!(core.body["groupVersion"], "v1");
    let find = |list: &serde_json::Value, name: &str| {
        list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {list}"))
            .clone()
    };
    let pods = find(&core.body, "pods");
    assert_eq!(pods["singularName"], "pod");
    assert_eq!(pods["namespaced"], true);
    assert_eq!(pods["kind"], "Pod");
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(pods["categories"], json!(["all"]));
    assert_eq!(
        pods["verbs"],
        json!([
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch"
        ])
    );
    let status = find(&core.body, "pods/status");
    assert_eq!(status["verbs"], json!(["get", "patch", "update"]));
    assert_eq!(status["kind"], "Pod");
    assert_eq!(find(&core.body, "pods/binding")["verbs"], json!(["create"]));
    let namespaces = find(&core.body, "namespaces");
    assert_eq!(namespaces["namespaced"], false);

    let apps = get(&router, "/apis/apps/v1?timeout=32s", "application/json").await;
    assert_eq!(apps.body["groupVersion"], "apps/v1");
    let scale = find(&apps.body, "deployments/scale");
    assert_eq!(scale["group"], "autoscaling");
    assert_eq!(scale["version"], "v1");
    assert_eq!(scale["kind"], "Scale");
    assert!(
        find(&apps.body, "deployments/status")
            .get("group")
            .is_none()
    );
}

#[tokio::test]
async fn step5_aggregated_discovery_echoes_the_media_type_it_chose() {
    let router = router().await;
    // kubectl 1.30+: v2 first.
    let accept = format!("{V2},{V2BETA1},application/json");
    let apis = get(&router, "/apis", &accept).await;
    assert_eq!(apis.code, 200);
    assert_eq!(apis.content_type, V2);
    assert_eq!(apis.body["kind"], "APIGroupDiscoveryList");
    assert_eq!(apis.body["apiVersion"], "apidiscovery.k8s.io/v2");
    let apps = apis.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["metadata"]["name"] == "apps")
        .expect("apps");
    let deployments = apps["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "deployments")
        .expect("deployments");
    assert_eq!(apps["versions"][0]["version"], "v1");
    assert_eq!(
        deployments["responseKind"],
        json!({"group": "apps", "version": "v1", "kind": "Deployment"})
    );
    assert_eq!(deployments["scope"], "Namespaced");
    assert_eq!(deployments["singularResource"], "deployment");
    assert_eq!(deployments["shortNames"], json!(["deploy"]));
    let scale = deployments["subresources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subresource"] == "scale")
        .expect("scale");
    assert_eq!(
        scale["responseKind"],
        json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
    );

    // kubectl 1.27-1.29 only know v2beta1.
    let api = get(&router, "/api", &format!("{V2BETA1},application/json")).await;
    assert_eq!(api.content_type, V2BETA1);
    assert_eq!(api.body["apiVersion"], "apidiscovery.k8s.io/v2beta1");
    let items = api.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["metadata"]["name"], "");
    let namespaces = items[0]["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "namespaces")
        .expect("namespaces");
    assert_eq!(namespaces["scope"], "Cluster");

    // Plain JSON first: the legacy documents.
    let legacy = get(&router, "/apis", &format!("application/json,{V2}")).await;
    assert_eq!(legacy.body["kind"], "APIGroupList");
}

#[tokio::test]
async fn step5_openapi_index_points_at_documents_served_with_their_hash() {
    let router = router().await;
    let index = get(&router, "/openapi/v3", "application/json, */*").await;
    assert_eq!(index.code, 200);
    let url = index.body["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .expect("apps/v1 in the index")
        .to_string();
    assert!(url.starts_with("/openapi/v3/apis/apps/v1?hash="), "{url}");
    let document = get(&router, &format!("{url}&timeout=32s"), "application/json").await;
    assert_eq!(document.code, 200);
    assert_eq!(document.content_type, "application/json");
    assert_eq!(document.body["openapi"], "3.0.0");
    assert!(document.body["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"].is_object());
    let hash = url.split("hash=").nth(1).unwrap();
    assert_eq!(document.headers["etag"], format!("\"{hash}\"").as_str());
    assert!(index.body["paths"]["api/v1"].is_object());
    assert_eq!(
        get(&router, "/openapi/v3/apis/nope/v1", "application/json")
            .await
            .code,
        404
    );

    let v2 = get(
        &router,
        "/openapi/v2?timeout=32s",
        "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    )
    .await;
    assert_eq!(v2.code, 200);
    assert_eq!(
        v2.content_type,
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    );
    assert_eq!(&v2.bytes[..5], b"\x0a\x032.0");
}
