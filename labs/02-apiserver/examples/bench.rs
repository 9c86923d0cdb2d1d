//! The API server benchmark behind `cargo xtask bench apiserver`.
//!
//! Each row is one kind of request with 1 or 64 concurrent clients, on the embedded store and
//! on a real etcd (started by labkit), beside the same work done straight on etcd through
//! `etcd-client` (the peer: an API server on etcd cannot be faster than etcd). Every client keeps
//! one HTTP/1.1 connection open, as kubectl and controllers do. Reported: requests per second,
//! and the p50/p99 latency of single requests. Run it on an otherwise idle machine:
//!
//! ```text
//! cargo run --release -p lab-02 --example bench [-- --requests 2000 --watchers 1000]
//!     [--only embedded|etcd]
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use lab_02::rest::ApiState;
use lab_02::server::{Config, Server};
use lab_02::store::Backend;
use lab_02::store::etcd::{EtcdConfig, EtcdStore};
use tokio::net::TcpStream;

/// One measured row.
struct Row {
    what: String,
    clients: usize,
    per_second: f64,
    latencies: Vec<Duration>,
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let index = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn print(rows: &mut [Row]) {
    println!("| store | request | clients | per second | p50 | p99 |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for row in rows {
        row.latencies.sort();
        let per_second = if row.per_second.is_finite() {
            format!("{:.0}", row.per_second)
        } else {
            "-".to_owned()
        };
        println!(
            "| {} | {} | {per_second} | {:.2} ms | {:.2} ms |",
            row.what,
            row.clients,
            percentile(&row.latencies, 0.5).as_secs_f64() * 1e3,
            percentile(&row.latencies, 0.99).as_secs_f64() * 1e3,
        );
    }
}

/// The ratios the goals are stated in, from the rows measured (a missing row skips its line).
fn print_ratios(rows: &[Row]) {
    let find = |what: &str, clients: usize| {
        rows.iter()
            .find(|row| row.what == what && row.clients == clients)
    };
    let pairs = [
        (
            "etcd | create",
            "raw etcd (etcd-client) | put",
            "creates on etcd / raw etcd puts",
        ),
        (
            "etcd | create",
            "raw etcd (etcd-client, one connection) | create (txn)",
            "creates on etcd / raw etcd creates over one connection",
        ),
        (
            "etcd | get",
            "raw etcd (etcd-client) | get",
            "gets on etcd / raw etcd gets",
        ),
        (
            "etcd | get",
            "raw etcd (etcd-client, one connection) | get",
            "gets on etcd / raw etcd gets over one connection",
        ),
        (
            "embedded | create",
            "etcd | create",
            "creates embedded / on etcd",
        ),
    ];
    println!();
    for (ours, peer, label) in pairs {
        if let (Some(ours), Some(peer)) = (find(ours, 64), find(peer, 64)) {
            println!(
                "{label}, 64 clients: {:.0}% (p99 {:.1} ms)",
                100.0 * ours.per_second / peer.per_second,
                percentile(&ours.latencies, 0.99).as_secs_f64() * 1e3
            );
        }
    }
}

/// A client with one kept-alive HTTP/1.1 connection.
struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self { sender })
    }

    /// Sends a request and reads the whole answer; fails on a status other than `expected`.
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<String>,
        expected: u16,
    ) -> anyhow::Result<Bytes> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "bench")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        if status != expected {
            bail!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(bytes)
    }
}

/// Runs `total` calls of `request(n)` split over `clients` connections; one row.
async fn measure<F>(
    addr: SocketAddr,
    what: &str,
    clients: usize,
    total: usize,
    request: F,
) -> anyhow::Result<Row>
where
    F: Fn(usize) -> (&'static str, String, Option<String>, u16) + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let request = Arc::clone(&request);
        tasks.push(tokio::spawn(async move {
            let mut connection = Client::connect(addr).await?;
            let mut latencies = Vec::new();
            for n in (client..total).step_by(clients) {
                let (method, path, body, expected) = request(n);
                let one = Instant::now();
                connection.call(method, &path, body, expected).await?;
                latencies.push(one.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(Row {
        what: what.to_owned(),
        clients,
        per_second: total as f64 / started.elapsed().as_secs_f64(),
        latencies,
    })
}

fn configmap(n: usize, prefix: &str) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{prefix}-{n}"}},"data":{{"n":"{n}"}}}}"#
    )
}

const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

/// The API server rows on one store.
async fn apiserver_rows(
    store_name: &str,
    store: Backend,
    requests: usize,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        ..Config::default()
    };
    let server = Server::bind_with(&config, ApiState::new(store)).await?;
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    for clients in [1, 64] {
        let prefix = format!("c{clients}");
        let what = format!("{store_name} | create");
        rows.push(
            measure(addr, &what, clients, requests, move |n| {
                (
                    "POST",
                    CONFIGMAPS.to_owned(),
                    Some(configmap(n, &prefix)),
                    201,
                )
            })
            .await?,
        );
        let prefix = format!("c{clients}");
        let what = format!("{store_name} | get");
        rows.push(
            measure(addr, &what, clients, requests, move |n| {
                ("GET", format!("{CONFIGMAPS}/{prefix}-{n}"), None, 200)
            })
            .await?,
        );
    }
    let what = format!("{store_name} | list 100 (limit=100)");
    rows.push(
        measure(addr, &what, 8, requests / 10, |_| {
            ("GET", format!("{CONFIGMAPS}?limit=100"), None, 200)
        })
        .await?,
    );
    let _ = stop.send(());
    serving.await??;
    Ok(())
}

/// The peer: the same puts and gets straight on etcd.
/// What one raw etcd request does.
#[derive(Clone, Copy)]
enum RawOp {
    Put,
    Get,
    /// Create-if-absent: a transaction comparing the key's create_revision with 0, which is
    /// what an API server create is on etcd.
    Create,
}

async fn etcd_rows(endpoint: &str, requests: usize, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    // One shared connection, as the API server has (etcd-client multiplexes requests over one
    // HTTP/2 connection), and one connection per client, etcd's best case.
    let shared = etcd_client::Client::connect([endpoint], None).await?;
    for clients in [1, 64] {
        for (verb, op) in [
            ("put", RawOp::Put),
            ("get", RawOp::Get),
            ("create (txn)", RawOp::Create),
        ] {
            for own_connections in [true, false] {
                if clients == 1 && !own_connections {
                    continue; // one client: the same thing
                }
                let started = Instant::now();
                let mut tasks = Vec::new();
                for client in 0..clients {
                    let endpoint = endpoint.to_owned();
                    let shared = shared.clone();
                    let prefix = format!("/bench/{clients}/{own_connections}");
                    tasks.push(tokio::spawn(async move {
                        let mut etcd = if own_connections {
                            etcd_client::Client::connect([endpoint], None).await?
                        } else {
                            shared
                        };
                        let mut latencies = Vec::new();
                        for n in (client..requests).step_by(clients) {
                            let key = format!("{prefix}/{n}");
                            let one = Instant::now();
                            raw_request(&mut etcd, op, key, n).await?;
                            latencies.push(one.elapsed());
                        }
                        anyhow::Ok(latencies)
                    }));
                }
                let mut latencies = Vec::new();
                for task in tasks {
                    latencies.extend(task.await??);
                }
                let connections = if own_connections {
                    ""
                } else {
                    ", one connection"
                };
                rows.push(Row {
                    what: format!("raw etcd (etcd-client{connections}) | {verb}"),
                    clients,
                    per_second: requests as f64 / started.elapsed().as_secs_f64(),
                    latencies,
                });
            }
        }
    }
    Ok(())
}

async fn raw_request(
    etcd: &mut etcd_client::Client,
    op: RawOp,
    key: String,
    n: usize,
) -> anyhow::Result<()> {
    use etcd_client::{Compare, CompareOp, Txn, TxnOp};
    match op {
        RawOp::Put => drop(etcd.put(key, configmap(n, "raw"), None).await?),
        RawOp::Get => drop(etcd.get(key, None).await?),
        RawOp::Create => {
            let txn = Txn::new()
                .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
                .and_then([TxnOp::put(key, configmap(n, "raw"), None)]);
            drop(etcd.txn(txn).await?);
        }
    }
    Ok(())
}

/// Watch fan-out on the embedded store: `watchers` open watches, one create, the time until
/// each watcher has the event.
async fn watch_row(watchers: usize, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        ..Config::default()
    };
    let server = Server::bind_with(&config, ApiState::new(Backend::default())).await?;
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    let mut setup = Client::connect(addr).await?;
    let list = setup.call("GET", CONFIGMAPS, None, 200).await?;
    let list: serde_json::Value = serde_json::from_slice(&list)?;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .context("a list has a resourceVersion")?
        .to_owned();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(watchers);
    let mut tasks = Vec::new();
    for _ in 0..watchers {
        let path = format!("{CONFIGMAPS}?watch=true&resourceVersion={rv}");
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await?;
            let request = Request::builder()
                .uri(path)
                .header("host", "bench")
                .body(Full::new(Bytes::new()))?;
            client.sender.ready().await?;
            let response = client.sender.send_request(request).await?;
            anyhow::ensure!(
                response.status() == 200,
                "watch answered {}",
                response.status()
            );
            ready.send(()).await?;
            let mut body = response.into_body();
            // The first data frame is the event (one JSON line).
            while let Some(frame) = body.frame().await {
                if frame?.data_ref().is_some_and(|data| !data.is_empty()) {
                    return anyhow::Ok(Instant::now());
                }
            }
            bail!("the watch ended without an event")
        }));
    }
    for _ in 0..watchers {
        ready_rx.recv().await.context("a watcher failed to start")?;
    }
    let created = Instant::now();
    setup
        .call("POST", CONFIGMAPS, Some(configmap(0, "watched")), 201)
        .await?;
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.push(task.await??.saturating_duration_since(created));
    }
    rows.push(Row {
        what: "embedded | watch event delivery".to_owned(),
        clients: watchers,
        per_second: f64::NAN,
        latencies,
    });
    let _ = stop.send(());
    serving.await??;
    Ok(())
}

fn flag(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .context("a number after the flag")?
            .parse()
            .context("a number"),
        None => Ok(default),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let requests = flag(&args, "--requests", 2000)?;
    let watchers = flag(&args, "--watchers", 1000)?;
    // `--only etcd` (or `embedded`) measures one store, for profiling one path.
    let only = args
        .iter()
        .position(|arg| arg == "--only")
        .and_then(|at| args.get(at + 1))
        .map(String::as_str);
    let mut rows = Vec::new();
    if only != Some("etcd") {
        apiserver_rows("embedded", Backend::default(), requests, &mut rows).await?;
    }
    let etcd = if only == Some("embedded") {
        Err(labkit::NotRun::new("--only embedded"))
    } else {
        labkit::Etcd::start()
    };
    match etcd {
        Ok(etcd) => {
            etcd_rows(&etcd.endpoint(), requests, &mut rows).await?;
            let store = EtcdStore::connect(EtcdConfig::new(vec![etcd.endpoint()])).await?;
            apiserver_rows("etcd", Backend::Etcd(store), requests, &mut rows).await?;
        }
        Err(not_run) => eprintln!("bench: no etcd rows: {not_run}"),
    }
    if only.is_some() {
        // The watch row is on the embedded store; it belongs to a full run.
    } else if let Err(error) = watch_row(watchers, &mut rows).await {
        eprintln!("bench: no watch row: {error:#}");
    }
    print(&mut rows);
    print_ratios(&rows);
    Ok(())
}
