//! The Event printer (core/v1 Events): LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, and with
//! `-o wide` SUBOBJECT, SOURCE, FIRST SEEN, COUNT and NAME.

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::descriptions as doc;
use super::{Column, NAME_DESCRIPTION, Printer, Row, TableError, age, decode};

/// `kubectl get events`. Unlike the other printers, NAME is a wide column and not the first.
pub(crate) static EVENTS: Printer = Printer {
    columns: &[
        Column::string("Last Seen", doc::EVENT_LAST_TIMESTAMP),
        Column::string("Type", doc::EVENT_TYPE),
        Column::string("Reason", doc::EVENT_REASON),
        Column::string("Object", doc::EVENT_INVOLVED_OBJECT),
        Column::string("Subobject", doc::OBJECT_REFERENCE_FIELD_PATH).wide(),
        Column::string("Source", doc::EVENT_SOURCE).wide(),
        Column::string("Message", doc::EVENT_MESSAGE),
        Column::string("First Seen", doc::EVENT_FIRST_TIMESTAMP).wide(),
        Column::string("Count", doc::EVENT_COUNT).wide(),
        Column {
            format: "name",
            ..Column::string("Name", NAME_DESCRIPTION).wide()
        },
    ],
    row: event_row,
};

fn event_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let event: Event = decode(object, "events")?;
    // Events written through events.k8s.io have eventTime and series instead of the
    // first/last timestamps and count.
    let first_seen = match &event.first_timestamp {
        Some(first) => age::since(Some(&first.0), now),
        None => age::since(event.event_time.as_ref().map(|t| &t.0), now),
    };
    let mut last_seen = match &event.last_timestamp {
        Some(last) => age::since(Some(&last.0), now),
        None => first_seen.clone(),
    };
    let mut count = event.count.unwrap_or(0);
    if let Some(series) = &event.series {
        last_seen = age::since(series.last_observed_time.as_ref().map(|t| &t.0), now);
        count = series.count.unwrap_or(0);
    } else if count == 0 {
        count = 1;
    }
    let involved = &event.involved_object;
    let kind = involved.kind.clone().unwrap_or_default().to_lowercase();
    let target = match involved.name.as_deref() {
        Some(name) if !name.is_empty() => format!("{kind}/{name}"),
        _ => kind,
    };
    let source = event.source.clone().unwrap_or_default();
    let component = first_non_empty(source.component, event.reporting_component.clone());
    let host = first_non_empty(source.host, event.reporting_instance.clone());
    let source = if host.is_empty() {
        component
    } else {
        format!("{component}, {host}")
    };
    Ok(Row::new(vec![
        last_seen.into(),
        event.type_.clone().unwrap_or_default().into(),
        event.reason.clone().unwrap_or_default().into(),
        target.into(),
        involved.field_path.clone().unwrap_or_default().into(),
        source.into(),
        event.message.as_deref().unwrap_or_default().trim().into(),
        first_seen.into(),
        i64::from(count).into(),
        event.metadata.name.clone().unwrap_or_default().into(),
    ]))
}

fn first_non_empty(a: Option<String>, b: Option<String>) -> String {
    a.filter(|s| !s.is_empty()).or(b).unwrap_or_default()
}
