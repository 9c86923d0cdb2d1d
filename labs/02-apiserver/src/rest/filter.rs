//! Which objects a list or a deletecollection keeps: the request's label and field selectors
//! (step 3, [`crate::selector`]).

use serde_json::Value;

use super::query::Query;
use crate::registry::Resource;
use crate::selector::ListFilter;
use crate::status::Status;

/// The per-object predicate of a list (`?labelSelector=`, `?fieldSelector=`).
///
/// Listing and deleting a collection read the objects in key order and keep those for which
/// [`Filter::matches`] is true; paging counts only kept objects. A selector that does not parse,
/// or names a field the resource does not offer, is a 400 BadRequest with the real message.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    selectors: ListFilter,
}

impl Filter {
    /// The filter a request asks for.
    pub(crate) fn from_query(resource: &Resource, query: &Query) -> Result<Self, Status> {
        let selectors = ListFilter::from_query(
            resource.group,
            resource.plural,
            query.non_empty("labelSelector"),
            query.non_empty("fieldSelector"),
        )
        .map_err(|error| Status::bad_request(error.to_string()))?;
        Ok(Filter { selectors })
    }

    /// True when the list keeps `object`.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        self.selectors.matches(object)
    }

    /// True when the filter keeps every object (no selectors).
    pub(crate) fn is_everything(&self) -> bool {
        self.selectors.is_everything()
    }
}
