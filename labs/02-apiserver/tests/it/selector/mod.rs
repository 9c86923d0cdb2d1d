//! Step 3 tests: label and field selectors, and the filter the REST layer applies.
//!
//! Every message expected here is kube-apiserver's text for the same input (worked out from
//! `k8s.io/apimachinery` and `pkg/apis/*/v1`), because kubectl shows it to the user as is.

mod field;
mod label_match;
mod label_parse;
mod label_selector;
mod list_filter;

use lab_02::selector::Labels;

/// Labels from `key, value` pairs.
fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}
