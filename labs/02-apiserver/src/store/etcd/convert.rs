//! Translating between etcd's types and ours: key ranges, key-value pairs, revisions, errors.
//!
//! Small pure functions, kept apart from the requests in `mod.rs` so that file reads as the
//! mapping of the contract onto etcd, and this one as the vocabulary it uses.

use bytes::Bytes;

use crate::store::{Error, KeyValue, Result};

/// The first key of a prefix's range. etcd has no empty key, so the empty prefix (everything)
/// starts at the zero byte.
pub(super) fn range_start(prefix: &str) -> Vec<u8> {
    match prefix {
        "" => vec![0],
        prefix => prefix.as_bytes().to_vec(),
    }
}

/// The end (exclusive) of the key range holding every key that starts with `prefix`: the
/// prefix with its last byte incremented (`/registry/pods/` -> `/registry/pods0`, since `0`
/// follows `/` in ASCII). Trailing 0xff bytes cannot be incremented and are dropped first; if
/// nothing is left, the zero byte means "to the end of the keyspace", as etcd defines it.
pub(super) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// Converts etcd's pair into ours. Keys must be UTF-8 (ours always are).
pub(super) fn key_value(kv: &etcd_client::KeyValue) -> Result<KeyValue> {
    Ok(KeyValue {
        key: key_string(kv.key())?,
        value: Bytes::copy_from_slice(kv.value()),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
    })
}

/// A key as a `String`, or `Unexpected` if some other writer stored a non-UTF-8 key.
pub(super) fn key_string(key: &[u8]) -> Result<String> {
    String::from_utf8(key.to_vec())
        .map_err(|_| Error::Unexpected(format!("key {key:?} is not UTF-8")))
}

/// The store revision a response was served at.
pub(super) fn revision_of(header: Option<&etcd_client::ResponseHeader>) -> Result<i64> {
    header
        .map(|header| header.revision())
        .ok_or_else(|| Error::Unexpected("etcd sent a response without a header".into()))
}

/// gRPC status codes that mean "try again later" rather than "you asked for something wrong":
/// CANCELLED (1), DEADLINE_EXCEEDED (4), RESOURCE_EXHAUSTED (8), ABORTED (10) and
/// UNAVAILABLE (14), as numbered in the gRPC specification.
const TRANSIENT_GRPC_CODES: [i32; 5] = [1, 4, 8, 10, 14];

/// Maps a client error that is not an MVCC error: connection trouble becomes `Unavailable`
/// (retrying may help), anything else `Unexpected`.
pub(super) fn unavailable_or_unexpected(what: &str, error: etcd_client::Error) -> Error {
    let transient = match &error {
        etcd_client::Error::TransportError(_) | etcd_client::Error::IoError(_) => true,
        // A status etcd sent has no Rust `source`; one with a source was made on our side,
        // by the HTTP/2 transport failing (code UNKNOWN, "transport error").
        etcd_client::Error::GRpcStatus(status) => {
            TRANSIENT_GRPC_CODES.contains(&i32::from(status.code()))
                || std::error::Error::source(status).is_some()
        }
        _ => false,
    };
    if transient {
        Error::Unavailable {
            message: format!("etcd failed to answer {what}"),
            source: Some(error),
        }
    } else {
        Error::Unexpected(format!("etcd refused {what}: {error}"))
    }
}

#[cfg(test)]
mod tests;
