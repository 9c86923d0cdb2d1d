//! Step 2: no lost update when many clients read, change and write the same object: 32 clients
//! each add one to a counter annotation 50 times, with get / update / retry on 409.

use serde_json::{Value, json};

use super::{Api, CONFIGMAPS, configmap};

/// Increments the `count` annotation of configmap `counter` once: read, add one, write with
/// the resourceVersion read; on 409, read again and retry (what every controller does).
async fn increment(api: Api) -> usize {
    let url = format!("{CONFIGMAPS}/counter");
    let mut conflicts = 0;
    loop {
        let mut object: Value = api.get(&url).await.ok(200).clone();
        let count: u64 = object["metadata"]["annotations"]["count"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        object["metadata"]["annotations"]["count"] = json!((count + 1).to_string());
        let reply = api.put(&url, &object).await;
        match reply.code {
            200 => return conflicts,
            409 => conflicts += 1,
            other => panic!("unexpected {other}: {}", reply.body),
        }
        tokio::task::yield_now().await;
    }
}

pub(crate) async fn no_update_is_lost(api: Api) {
    let mut body = configmap("counter");
    body["metadata"]["annotations"] = json!({"count": "0"});
    api.post(CONFIGMAPS, &body).await.ok(201);
    let clients = 32;
    let each = 50;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                for _ in 0..each {
                    increment(api.clone()).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let counter = api.get(&format!("{CONFIGMAPS}/counter")).await;
    assert_eq!(
        counter.body["metadata"]["annotations"]["count"],
        (clients * each).to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn step2_concurrent_read_modify_write_clients_lose_no_update() {
    no_update_is_lost(Api::embedded().await).await;
}
