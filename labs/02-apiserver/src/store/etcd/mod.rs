//! The etcd backend: the same [`Store`] contract on real etcd, through the `etcd-client` crate.
//!
//! This is how kube-apiserver stores objects, and most of the mapping is one-to-one, because
//! the embedded store was shaped after etcd in the first place:
//!
//! | contract                      | etcd v3                                                    |
//! | ----------------------------- | ---------------------------------------------------------- |
//! | key, value                    | the same bytes; keys are `/registry/<resource>/<ns>/<name>` |
//! | `mod_revision`                | `mod_revision`, which kube-apiserver calls resourceVersion |
//! | `create`                      | `Txn`: if `create_revision(key) == 0` then put             |
//! | `update`, `delete`            | `Txn`: if the key exists (and `mod_revision == expected`) then put/delete, else get |
//! | `list(prefix)` at a revision  | `Range [prefix, prefix_end)` with `revision` and `limit`   |
//! | `watch(prefix, from)`         | `Watch` with `start_revision = from + 1` and `prev_kv`     |
//! | `compact`                     | `Compact`                                                  |
//!
//! Three things need care. **Transactions**: a read followed by a write is not atomic (someone
//! may write in between), so every check-then-write is one `Txn`, which etcd runs atomically.
//! **Errors**: etcd answers a read at a compacted revision with a gRPC error whose text says so;
//! we turn it into [`Error::Compacted`]. **Time**: a client must never hang on a dead etcd, so
//! every request runs under our own timeout and a miss becomes [`Error::Unavailable`].
//!
//! `watch.rs` translates watches; `convert.rs` holds the small conversions (key ranges, pairs,
//! errors) both files use.

mod convert;
mod watch;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, GetOptions, PutOptions, Txn, TxnOp,
    TxnOpResponse, TxnResponse,
};

use self::convert::{key_value, prefix_end, range_start, revision_of, unavailable_or_unexpected};
use crate::store::{Error, KeyValue, ListOptions, ListResult, Result, Store, Watch};

/// How to reach etcd, and how long to wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdConfig {
    /// Client URLs such as `http://127.0.0.1:2379` (kube-apiserver's `--etcd-servers`).
    pub endpoints: Vec<String>,
    /// How long to wait for a TCP connection to an endpoint.
    pub connect_timeout: Duration,
    /// How long to wait for the answer to one request (not for a watch's events, which may
    /// legitimately take forever).
    pub request_timeout: Duration,
}

impl EtcdConfig {
    /// The given endpoints with timeouts that fail fast on a loopback or LAN etcd.
    pub fn new(endpoints: Vec<String>) -> Self {
        Self {
            endpoints,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
        }
    }
}

/// A handle to etcd. Clones share one client and its connection (HTTP/2 multiplexes every
/// request and watch over it).
#[derive(Clone)]
pub struct EtcdStore {
    /// The client: one handle per etcd service (KV, Watch, Lease, ...), a few kilobytes in
    /// all, so it is shared behind an `Arc` and a clone of the store is a pointer copy.
    client: Arc<Client>,
    /// How long one request may take before it counts as [`Error::Unavailable`].
    request_timeout: Duration,
}

impl fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtcdStore")
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl EtcdStore {
    /// Connects to etcd and checks that it answers, so a wrong `--etcd-servers` is reported
    /// at start-up, as [`Error::Unavailable`], rather than on the first request.
    pub async fn connect(config: EtcdConfig) -> Result<Self> {
        // `Client::connect` only sets the connection up; it connects on first use. The
        // connect timeout bounds a TCP handshake nobody answers. A refused connection fails at
        // once anyway; the dangerous case is a server that accepts and then never answers
        // (paused, overloaded, cut off), for which our `call` puts a timeout on each request.
        let options = ConnectOptions::new().with_connect_timeout(config.connect_timeout);
        let client = Client::connect(&config.endpoints, Some(options))
            .await
            .map_err(|source| Error::Unavailable {
                message: format!("failed to set up a client for {:?}", config.endpoints),
                source: Some(source),
            })?;
        let store = Self {
            client: Arc::new(client),
            request_timeout: config.request_timeout,
        };
        store.current_revision().await?;
        tracing::debug!(endpoints = ?config.endpoints, "connected to etcd");
        Ok(store)
    }

    /// Runs one etcd request under the request timeout and turns its failure into our
    /// [`Error`]. `requested` is the revision the request asked for (0 if none), for the
    /// `Compacted` and `FutureRevision` errors.
    async fn call<T>(
        &self,
        what: &str,
        requested: i64,
        request: impl Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<T> {
        let error = match tokio::time::timeout(self.request_timeout, request).await {
            Ok(Ok(response)) => return Ok(response),
            Ok(Err(error)) => error,
            Err(_elapsed) => {
                return Err(Error::Unavailable {
                    message: format!(
                        "etcd did not answer {what} within {:?}",
                        self.request_timeout
                    ),
                    source: None,
                });
            }
        };
        // etcd's MVCC errors arrive as gRPC statuses (code OutOfRange) whose text is the only
        // thing that tells them apart; kube-apiserver matches the same strings.
        let message = match &error {
            etcd_client::Error::GRpcStatus(status) => status.message(),
            _ => "",
        };
        if message.contains("required revision has been compacted") {
            let compacted_revision = watch::compacted_revision(self).await;
            return Err(Error::Compacted {
                requested,
                compacted_revision,
            });
        }
        if message.contains("required revision is a future revision") {
            let current = self.header_revision().await.unwrap_or(0);
            return Err(Error::FutureRevision { requested, current });
        }
        Err(unavailable_or_unexpected(what, error))
    }

    /// The current revision, read from the header of the cheapest possible request. Used by
    /// `call` itself, so it does not go through `call`.
    async fn header_revision(&self) -> Result<i64> {
        // Every etcd response has a header with the store's revision when it was served. A
        // count-only read of a key nobody uses is the cheapest request that gets one.
        let mut kv = self.client.kv_client();
        let request = kv.get("\0", Some(GetOptions::new().with_count_only()));
        match tokio::time::timeout(self.request_timeout, request).await {
            Ok(Ok(response)) => revision_of(response.header()),
            Ok(Err(error)) => Err(unavailable_or_unexpected("a revision read", error)),
            Err(_elapsed) => Err(Error::Unavailable {
                message: format!(
                    "etcd did not answer a revision read within {:?}",
                    self.request_timeout
                ),
                source: None,
            }),
        }
    }
}

impl Store for EtcdStore {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        // etcd's reads are linearizable by default: a read sees every write acknowledged
        // before it started, so the API server always reads its own writes.
        let mut kv = self.client.kv_client();
        let response = self.call("get", 0, kv.get(key, None)).await?;
        response.kvs().first().map(key_value).transpose()
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult> {
        let requested = options.revision.filter(|revision| *revision > 0);
        // A prefix is the key range [prefix, prefix_end). The next page starts just after the
        // previous page's last key: appending a zero byte gives the smallest key after it.
        let start = match options.start_after {
            Some(after) if after.as_str() >= prefix => [after.as_bytes(), b"\0"].concat(),
            _ => range_start(prefix),
        };
        let mut get = GetOptions::new().with_range(prefix_end(prefix.as_bytes()));
        if let Some(revision) = requested {
            get = get.with_revision(revision);
        }
        // etcd returns keys sorted, as our BTreeMap does, and says in `more` whether the
        // limit cut the range short.
        if let Some(limit) = options.limit.filter(|limit| *limit > 0) {
            get = get.with_limit(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        let mut kv = self.client.kv_client();
        let response = self
            .call("list", requested.unwrap_or(0), kv.get(start, Some(get)))
            .await?;
        Ok(ListResult {
            items: response
                .kvs()
                .iter()
                .map(key_value)
                .collect::<Result<_>>()?,
            // Read at the revision asked for, or else at the latest, which the header names.
            revision: requested.map_or_else(|| revision_of(response.header()), Ok)?,
            more: response.more(),
        })
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        // create_revision is 0 for a key that does not exist: "put only if absent".
        let txn = Txn::new()
            .when([Compare::create_revision(key, CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key, value.to_vec(), None)]);
        let mut kv = self.client.kv_client();
        let response = self.call("create", 0, kv.txn(txn)).await?;
        if !response.succeeded() {
            return Err(Error::AlreadyExists {
                key: key.to_owned(),
            });
        }
        // A transaction is one write: the header's revision is the revision of our put.
        let revision = revision_of(response.header())?;
        Ok(KeyValue {
            key: key.to_owned(),
            value,
            create_revision: revision,
            mod_revision: revision,
        })
    }

    // ANCHOR: update
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Option<i64>,
    ) -> Result<KeyValue> {
        // BEGIN SOLUTION step-1: one Txn: if the key exists (and its mod_revision is the expected one) put with prev_kv, else get it to tell Conflict from NotFound
        // All compares must hold: the key exists, and (when asked) it has not changed since
        // the caller read it. etcd evaluates them and runs one branch atomically.
        let txn = Txn::new()
            .when(guards(key, expected_mod_revision))
            // prev_kv returns the replaced pair: we need its create_revision.
            .and_then([TxnOp::put(
                key,
                value.to_vec(),
                Some(PutOptions::new().with_prev_key()),
            )])
            // Otherwise read the key in the same transaction, to say why we refused.
            .or_else([TxnOp::get(key, None)]);
        let mut kv = self.client.kv_client();
        let response = self.call("update", 0, kv.txn(txn)).await?;
        if !response.succeeded() {
            return Err(refusal(key, expected_mod_revision, &response));
        }
        let create_revision = match response.op_responses().first() {
            Some(TxnOpResponse::Put(put)) => put.prev_key().map(|prev| prev.create_revision()),
            _ => None,
        }
        .ok_or_else(|| Error::Unexpected(format!("update of {key} returned no previous value")))?;
        Ok(KeyValue {
            key: key.to_owned(),
            value,
            create_revision,
            mod_revision: revision_of(response.header())?,
        })
        // END SOLUTION
    }
    // ANCHOR_END: update

    async fn delete(&self, key: &str, expected_mod_revision: Option<i64>) -> Result<KeyValue> {
        // The same shape as `update`, with a delete (and its prev_kv) in the success branch.
        let txn = Txn::new()
            .when(guards(key, expected_mod_revision))
            .and_then([TxnOp::delete(
                key,
                Some(DeleteOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(key, None)]);
        let mut kv = self.client.kv_client();
        let response = self.call("delete", 0, kv.txn(txn)).await?;
        if !response.succeeded() {
            return Err(refusal(key, expected_mod_revision, &response));
        }
        match response.op_responses().first() {
            Some(TxnOpResponse::Delete(delete)) => delete.prev_kvs().first().map(key_value),
            _ => None,
        }
        .unwrap_or_else(|| {
            Err(Error::Unexpected(format!(
                "delete of {key} returned nothing"
            )))
        })
    }

    async fn watch(&self, prefix: &str, from_revision: i64) -> Result<Watch> {
        // A negative revision means nothing more than 0 does: "from the start of history".
        watch::open(self, prefix, from_revision.max(0)).await
    }

    async fn compact(&self, revision: i64) -> Result<()> {
        // From the moment etcd answers, older reads and watches are refused; the disk space is
        // reclaimed in the background (`with_physical` would wait for that, we do not need to).
        let mut kv = self.client.kv_client();
        self.call("compact", revision, kv.compact(revision, None))
            .await
            .map(drop)
    }

    async fn current_revision(&self) -> Result<i64> {
        self.header_revision().await
    }
}

/// The compares of an update or a delete: the key exists, and when `expected` is given, its
/// `mod_revision` is still that. (etcd reads a missing key's revisions as 0, so "exists" is
/// `create_revision > 0`.)
fn guards(key: &str, expected: Option<i64>) -> Vec<Compare> {
    let mut compares = vec![Compare::create_revision(key, CompareOp::Greater, 0)];
    if let Some(expected) = expected {
        compares.push(Compare::mod_revision(key, CompareOp::Equal, expected));
    }
    compares
}

/// Why a guarded transaction took its `else` branch, from the `get` that branch ran: the key
/// is missing (`NotFound`), or it is there with another `mod_revision` (`Conflict`).
fn refusal(key: &str, expected: Option<i64>, response: &TxnResponse) -> Error {
    let current = match response.op_responses().into_iter().next() {
        Some(TxnOpResponse::Get(get)) => get.kvs().first().map(|kv| kv.mod_revision()),
        _ => None,
    };
    match (current, expected) {
        (Some(actual), Some(expected)) => Error::Conflict {
            key: key.to_owned(),
            expected,
            actual,
        },
        _ => Error::NotFound {
            key: key.to_owned(),
        },
    }
}
