//! Step 5, protobuf request bodies: what kubectl 1.32/1.33 POST, decoded into the JSON that
//! kubectl 1.31 sends for the same command.
//!
//! `fixtures/` holds real request bodies, captured from the real binaries (see its README):
//! `<command>.kubectl-1.33.pb` is the protobuf body of `kubectl.1.33 create ...` (1.32 sends
//! the same bytes), and `<command>.kubectl-1.31.json` the JSON body of `kubectl.1.31 create
//! ...`. `fixtures/handmade/` has bodies kubectl create never sends (timestamps, embedded
//! structs, `RawExtension`), made with `protoc` from their text form.

mod handmade;
mod kubectl;
mod malformed;

use serde_json::Value;

/// A fixture's bytes.
fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/it/protobuf/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// A protobuf fixture, decoded (panics with the error if it does not decode).
fn decoded(name: &str) -> Value {
    lab_02::protobuf::decode(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}
