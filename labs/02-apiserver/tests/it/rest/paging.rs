//! Step 3: paging with `limit` and `continue`, and which revision a list reads at.

use lab_02::store::Store;
use serde_json::{Value, json};

use super::{Api, CONFIGMAPS, configmap};

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// Creates configmaps `cm-0` .. `cm-{n-1}` in `default`.
async fn create_many(api: &Api, n: usize) {
    for i in 0..n {
        api.post(CONFIGMAPS, &configmap(&format!("cm-{i}")))
            .await
            .ok(201);
    }
}

pub(crate) async fn pages_fit_together_at_one_revision(api: Api) {
    create_many(&api, 5).await;
    let first = api.get(&format!("{CONFIGMAPS}?limit=2")).await;
    assert_eq!(names(first.ok(200)), ["cm-0", "cm-1"]);
    let revision = first.rv();
    let token = first.body["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    // A write between pages is not seen: every page reads at the first page's revision.
    api.post(CONFIGMAPS, &configmap("cm-3a")).await.ok(201);
    api.delete(&format!("{CONFIGMAPS}/cm-4")).await.ok(200);
    let second = api
        .get(&format!("{CONFIGMAPS}?limit=2&continue={token}"))
        .await;
    assert_eq!(names(second.ok(200)), ["cm-2", "cm-3"]);
    assert_eq!(second.rv(), revision);
    let token = second.body["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    let last = api
        .get(&format!("{CONFIGMAPS}?limit=2&continue={token}"))
        .await;
    assert_eq!(names(last.ok(200)), ["cm-4"]);
    assert!(
        last.body["metadata"].get("continue").is_none(),
        "{}",
        last.body
    );
    // A list without limit is one page.
    let all = api.get(CONFIGMAPS).await;
    assert_eq!(
        names(all.ok(200)),
        ["cm-0", "cm-1", "cm-2", "cm-3", "cm-3a"]
    );
}

#[tokio::test]
async fn step3_limit_and_continue_page_through_one_snapshot() {
    pages_fit_together_at_one_revision(Api::embedded().await).await;
}

pub(crate) async fn an_expired_continue_token_is_gone(api: Api) {
    create_many(&api, 3).await;
    let first = api.get(&format!("{CONFIGMAPS}?limit=1")).await;
    let token = first.body["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    // Newer writes, then a compaction past the first page's revision.
    api.post(CONFIGMAPS, &configmap("cm-9")).await.ok(201);
    let current = api.store.current_revision().await.unwrap();
    api.store.compact(current).await.unwrap();
    let reply = api
        .get(&format!("{CONFIGMAPS}?limit=1&continue={token}"))
        .await;
    assert_eq!(
        reply.status(410, "Expired"),
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
    );
    // The Status carries a token that continues at the latest revision.
    let latest = reply.body["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    let rest = api.get(&format!("{CONFIGMAPS}?continue={latest}")).await;
    assert_eq!(names(rest.ok(200)), ["cm-1", "cm-2", "cm-9"]);
}

#[tokio::test]
async fn step3_a_continue_token_older_than_the_compaction_is_410_expired() {
    an_expired_continue_token_is_gone(Api::embedded().await).await;
}

#[tokio::test]
async fn step3_a_continue_token_is_base64_json_of_revision_and_start_key() {
    let api = Api::embedded().await;
    create_many(&api, 2).await;
    let first = api.get(&format!("{CONFIGMAPS}?limit=1")).await;
    let token = first.body["metadata"]["continue"].as_str().unwrap();
    use base64::Engine;
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .unwrap();
    let json: Value = serde_json::from_slice(&decoded).unwrap();
    assert_eq!(
        json,
        json!({"v": "meta.k8s.io/v1", "rv": first.rv().parse::<i64>().unwrap(), "start": "cm-0\u{0}"})
    );
}

#[tokio::test]
async fn step3_a_continue_token_the_server_did_not_make_is_bad_request() {
    let api = Api::embedded().await;
    for token in ["not-base64!", "bm90IGpzb24", ""] {
        let reply = api.get(&format!("{CONFIGMAPS}?continue={token}x")).await;
        assert!(
            reply
                .status(400, "BadRequest")
                .starts_with("continue key is not valid"),
            "{}",
            reply.body
        );
    }
    // A key that climbs out of the listed prefix.
    use base64::Engine;
    let escape = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"v":"meta.k8s.io/v1","rv":2,"start":"../secrets/x\u0000"}"#);
    api.get(&format!("{CONFIGMAPS}?continue={escape}"))
        .await
        .status(400, "BadRequest");
    // continue and resourceVersion together are refused.
    api.post(CONFIGMAPS, &configmap("a")).await.ok(201);
    api.post(CONFIGMAPS, &configmap("b")).await.ok(201);
    let first = api.get(&format!("{CONFIGMAPS}?limit=1")).await;
    let token = first.body["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = api
        .get(&format!(
            "{CONFIGMAPS}?limit=1&continue={token}&resourceVersion={}",
            first.rv()
        ))
        .await;
    assert_eq!(
        reply.status(400, "BadRequest"),
        "specifying resource version is not allowed when using continue"
    );
}

#[tokio::test]
async fn step3_list_resource_version_semantics() {
    let api = Api::embedded().await;
    create_many(&api, 2).await;
    let before = api.get(CONFIGMAPS).await.rv();
    api.post(CONFIGMAPS, &configmap("cm-late")).await.ok(201);
    // Exact: the list as it was.
    let exact = api
        .get(&format!(
            "{CONFIGMAPS}?resourceVersion={before}&resourceVersionMatch=Exact"
        ))
        .await;
    assert_eq!(names(exact.ok(200)), ["cm-0", "cm-1"]);
    assert_eq!(exact.rv(), before);
    // NotOlderThan (the default for a non-zero version): the latest.
    let newer = api
        .get(&format!("{CONFIGMAPS}?resourceVersion={before}"))
        .await;
    assert_eq!(names(newer.ok(200)).len(), 3);
    // A version from the future: 504 Timeout, as upstream after its wait.
    let reply = api
        .get(&format!("{CONFIGMAPS}?resourceVersion=999999"))
        .await;
    assert!(
        reply
            .status(504, "Timeout")
            .starts_with("Too large resource version: 999999")
    );
    api.get(&format!("{CONFIGMAPS}/cm-0?resourceVersion=999999"))
        .await
        .status(504, "Timeout");
    // resourceVersionMatch needs a resourceVersion.
    api.get(&format!("{CONFIGMAPS}?resourceVersionMatch=Exact"))
        .await
        .status(400, "BadRequest");
    // Exact at a compacted revision: 410.
    let current = api.store.current_revision().await.unwrap();
    api.store.compact(current).await.unwrap();
    let reply = api
        .get(&format!(
            "{CONFIGMAPS}?resourceVersion={before}&resourceVersionMatch=Exact"
        ))
        .await;
    assert_eq!(
        reply.status(410, "Expired"),
        "The resourceVersion for the provided list is too old."
    );
}
