//! Build script of lab 02: compiles the vendored Kubernetes `.proto` files into a descriptor set.
//!
//! kubectl 1.32+ sends `application/vnd.kubernetes.protobuf` request bodies (see
//! `src/protobuf/mod.rs`). To read them the server needs each message's field numbers, names
//! and types: the *descriptors*. `protox`, a protobuf compiler written in Rust (no `protoc`
//! needed), turns the upstream `generated.proto` files under `proto/` into a serialized
//! `FileDescriptorSet`, which `src/protobuf/` embeds with `include_bytes!` and loads into a
//! `prost_reflect::DescriptorPool` on first use.

use std::path::Path;

/// The API groups whose objects the server can decode; their imports (meta/v1, runtime,
/// intstr, resource) come along.
const FILES: &[&str] = &[
    "k8s.io/api/core/v1/generated.proto",
    "k8s.io/api/apps/v1/generated.proto",
    "k8s.io/api/authentication/v1/generated.proto",
    "k8s.io/api/batch/v1/generated.proto",
    "k8s.io/api/coordination/v1/generated.proto",
    "k8s.io/api/discovery/v1/generated.proto",
    "k8s.io/api/networking/v1/generated.proto",
    "k8s.io/api/policy/v1/generated.proto",
    "k8s.io/api/rbac/v1/generated.proto",
    "k8s.io/api/scheduling/v1/generated.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let out_dir = std::env::var("OUT_DIR")?;
    // No source info: the comments would quadruple the embedded descriptors and nothing reads
    // them at run time.
    let descriptors = protox::Compiler::new(["proto"])?
        .include_imports(true)
        .include_source_info(false)
        .open_files(FILES)?
        .encode_file_descriptor_set();
    std::fs::write(Path::new(&out_dir).join("k8s-descriptors.bin"), descriptors)?;
    Ok(())
}
