//! Every resource the apiserver has, found at run time (discovery), and informers over any of
//! them, keeping only the metadata.
//!
//! The garbage collector and the namespace controller work on *all* resources, including
//! ones this crate has no Rust type for (a CRD installed tomorrow). Upstream they read the
//! discovery documents (`/api`, `/apis`) and run metadata-only informers for each resource.
//! Here: [`discover`] lists the resources (preferred version of each group) with their verbs
//! and scope; [`MetaSource`] is a [`ListWatch`] over a `kube::Api<DynamicObject>` that hands
//! the informer [`MetaObject`]s (apiVersion, kind, metadata), so step 1's informer and cache
//! work unchanged.

use std::borrow::Cow;

use futures_util::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ApiResource, DynamicObject, WatchEvent};
use kube::discovery::{ApiCapabilities, Discovery, Scope, verbs};
use kube::{Api, Client, Resource};

use crate::informer::{EventStream, ListPage, ListWatch};

/// One resource of the apiserver, as discovery describes it.
#[derive(Debug, Clone)]
pub struct DiscoveredResource {
    /// Group, version, kind, plural.
    pub resource: ApiResource,
    /// Whether its objects live in namespaces.
    pub namespaced: bool,
    /// Its verbs (`list`, `watch`, `delete`, ...).
    pub capabilities: ApiCapabilities,
}

impl DiscoveredResource {
    /// Whether the resource supports `verb`.
    pub fn supports(&self, verb: &str) -> bool {
        self.capabilities.supports_operation(verb)
    }

    /// A dynamic API for the objects of `namespace` (ignored for cluster-scoped resources).
    pub fn api(&self, client: &Client, namespace: Option<&str>) -> Api<DynamicObject> {
        match namespace.filter(|namespace| self.namespaced && !namespace.is_empty()) {
            Some(namespace) => Api::namespaced_with(client.clone(), namespace, &self.resource),
            None => Api::all_with(client.clone(), &self.resource),
        }
    }
}

/// The resources the apiserver serves, one version per group (the preferred one), that can
/// be listed, watched and deleted.
pub async fn discover(client: &Client) -> Result<Vec<DiscoveredResource>, kube::Error> {
    let discovery = Discovery::new(client.clone()).run().await?;
    let mut found = Vec::new();
    for group in discovery.groups() {
        for (resource, capabilities) in group.recommended_resources() {
            let usable = [verbs::LIST, verbs::WATCH, verbs::DELETE]
                .iter()
                .all(|verb| capabilities.supports_operation(verb));
            if !usable {
                continue;
            }
            found.push(DiscoveredResource {
                namespaced: capabilities.scope == Scope::Namespaced,
                resource,
                capabilities,
            });
        }
    }
    Ok(found)
}

/// [`discover`] until the apiserver answers, with a growing pause between attempts.
pub async fn discover_with_retry(client: &Client, who: &str) -> Vec<DiscoveredResource> {
    let mut delay = std::time::Duration::from_millis(200);
    loop {
        match discover(client).await {
            Ok(resources) => return resources,
            Err(error) => tracing::warn!(retry_in = ?delay, "{who}: discovery failed: {error}"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(30));
    }
}

/// An object of any resource, reduced to what the garbage collector reads: apiVersion, kind
/// and metadata (upstream's `PartialObjectMetadata`).
#[derive(Debug, Clone, Default)]
pub struct MetaObject {
    /// `apiVersion` of the resource.
    pub api_version: String,
    /// `kind` of the resource.
    pub kind: String,
    /// The object's metadata.
    pub metadata: ObjectMeta,
}

impl Resource for MetaObject {
    type DynamicType = ();
    type Scope = kube::core::DynamicResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("Object")
    }

    fn group(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn version(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn plural(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("objects")
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// A list and watch of one discovered resource, all namespaces, as [`MetaObject`]s.
#[derive(Clone)]
pub struct MetaSource {
    api: Api<DynamicObject>,
    resource: ApiResource,
}

impl std::fmt::Debug for MetaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaSource")
            .field("resource", &self.resource.plural)
            .finish_non_exhaustive()
    }
}

impl MetaSource {
    /// The source of `resource`'s objects.
    pub fn new(client: &Client, resource: &DiscoveredResource) -> Self {
        MetaSource {
            api: Api::all_with(client.clone(), &resource.resource),
            resource: resource.resource.clone(),
        }
    }

    fn reduce(resource: &ApiResource, object: DynamicObject) -> MetaObject {
        MetaObject {
            api_version: resource.api_version.clone(),
            kind: resource.kind.clone(),
            metadata: object.metadata,
        }
    }
}

impl ListWatch<MetaObject> for MetaSource {
    async fn list(&self) -> Result<ListPage<MetaObject>, kube::Error> {
        let page = ListWatch::<DynamicObject>::list(&self.api).await?;
        Ok(ListPage {
            items: page
                .items
                .into_iter()
                .map(|object| MetaSource::reduce(&self.resource, object))
                .collect(),
            resource_version: page.resource_version,
        })
    }

    async fn watch(&self, resource_version: &str) -> Result<EventStream<MetaObject>, kube::Error> {
        let events = ListWatch::<DynamicObject>::watch(&self.api, resource_version).await?;
        let resource = self.resource.clone();
        Ok(events
            .map(move |event| {
                event.map(|event| match event {
                    WatchEvent::Added(o) => WatchEvent::Added(MetaSource::reduce(&resource, o)),
                    WatchEvent::Modified(o) => {
                        WatchEvent::Modified(MetaSource::reduce(&resource, o))
                    }
                    WatchEvent::Deleted(o) => WatchEvent::Deleted(MetaSource::reduce(&resource, o)),
                    WatchEvent::Bookmark(b) => WatchEvent::Bookmark(b),
                    WatchEvent::Error(e) => WatchEvent::Error(e),
                })
            })
            .boxed())
    }
}
