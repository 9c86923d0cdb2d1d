//! Step 2: `run` serves over real TCP, writes a kubeconfig, and stops when told to.

use std::time::Duration;

use lab_02::server::{Config, run};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// One HTTP/1.1 GET over a fresh connection; returns the raw answer.
async fn http_get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn step2_run_serves_http_writes_a_kubeconfig_and_shuts_down() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        write_kubeconfig: Some(kubeconfig.clone()),
        ..Config::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(run(config, async move {
        let _ = stopped.await;
    }));
    // The kubeconfig appears once the port is bound; it names the real address.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let text = loop {
        if let Ok(text) = std::fs::read_to_string(&kubeconfig) {
            break text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no kubeconfig written"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let server_line = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("server: http://"))
        .expect("a server line");
    let addr = server_line.to_string();
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );
    let answer = http_get(&addr, "/api/v1/namespaces/default").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"name\":\"default\""), "{answer}");
    let missing = http_get(&addr, "/api/v1/namespaces/default/pods/nope").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("run did not return after shutdown");
    result.unwrap().unwrap();
    assert!(
        TcpStream::connect(&addr).await.is_err(),
        "still listening after shutdown"
    );
}
