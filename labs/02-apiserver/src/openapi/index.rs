//! The OpenAPI v3 index, `GET /openapi/v3`: where each group-version's document is.
//!
//! ```text
//! {"paths": {"api/v1":       {"serverRelativeURL": "/openapi/v3/api/v1?hash=9F3A..."},
//!            "apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=0C7E..."}}}
//! ```
//!
//! kubectl GETs exactly the `serverRelativeURL` and caches the answer under that URL (in
//! `~/.kube/cache/http`). The hash is the document's content hash, so a changed document gets a
//! new URL and no client keeps using a stale copy. The real server (kube-openapi) uses the
//! SHA-512 of the document's bytes in upper-case hex; so do we.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};

use super::{ServedResource, group_version_document, group_version_path, group_versions};

/// The OpenAPI v3 index of `resources`: one entry per served group-version.
pub fn index(resources: &[ServedResource]) -> Value {
    let mut paths = Map::new();
    for (group, version) in group_versions(resources) {
        let Some(document) = group_version_document(resources, &group, &version) else {
            continue;
        };
        let key = group_version_path(&group, &version);
        let url = format!("/openapi/v3/{key}?hash={}", document_hash(&document));
        paths.insert(key, json!({ "serverRelativeURL": url }));
    }
    json!({ "paths": paths })
}

/// The content hash of a document: SHA-512 of its compact JSON (`document.to_string()`, the
/// bytes to serve), in upper-case hex. It doubles as the document's `ETag`.
pub fn document_hash(document: &Value) -> String {
    let digest = Sha512::digest(document.to_string().as_bytes());
    digest.iter().map(|byte| format!("{byte:02X}")).collect()
}
