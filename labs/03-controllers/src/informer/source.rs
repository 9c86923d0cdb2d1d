//! Where an informer reads from: a list and a watch of one resource (client-go's
//! `ListerWatcher`).
//!
//! The real source is a `kube::Api<K>` talking to the apiserver. Keeping it behind this small
//! trait lets tests script the apiserver's answers exactly (a watch that ends, a `410 Gone`),
//! which a live server cannot be made to do on cue.

use std::fmt::Debug;
use std::future::Future;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use kube::api::{ListParams, WatchEvent, WatchParams};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;

/// How long one watch request lasts before the server ends it and the informer watches again
/// (client-go picks 5 to 10 minutes at random; the apiserver then closes the stream cleanly).
pub const WATCH_TIMEOUT_SECONDS: u32 = 300;

/// One list response: the objects and the collection's `resourceVersion` to watch from.
#[derive(Debug, Clone)]
pub struct ListPage<K> {
    /// The objects, all read at one revision.
    pub items: Vec<K>,
    /// The list's `metadata.resourceVersion`.
    pub resource_version: String,
}

/// A watch response: events until the server ends it.
pub type EventStream<K> = BoxStream<'static, Result<WatchEvent<K>, kube::Error>>;

// ANCHOR: list_watch
/// Lists and watches one resource.
pub trait ListWatch<K>: Send + Sync + 'static {
    /// Lists every object.
    fn list(&self) -> impl Future<Output = Result<ListPage<K>, kube::Error>> + Send;
    /// Watches the changes after `resource_version` (with bookmarks).
    fn watch(
        &self,
        resource_version: &str,
    ) -> impl Future<Output = Result<EventStream<K>, kube::Error>> + Send;
}
// ANCHOR_END: list_watch

impl<K> ListWatch<K> for Api<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    async fn list(&self) -> Result<ListPage<K>, kube::Error> {
        let list = Api::list(self, &ListParams::default()).await?;
        Ok(ListPage {
            resource_version: list.metadata.resource_version.unwrap_or_default(),
            items: list.items,
        })
    }

    async fn watch(&self, resource_version: &str) -> Result<EventStream<K>, kube::Error> {
        let mut params = WatchParams::default().timeout(WATCH_TIMEOUT_SECONDS);
        params.bookmarks = true;
        Ok(Api::watch(self, &params, resource_version).await?.boxed())
    }
}
