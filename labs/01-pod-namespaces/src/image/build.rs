//! Writing image layouts: deterministic layer tars from directories, then config and manifest.
//!
//! Building is the mirror of reading: tar a directory into a layer, hash it (its `diff_id`),
//! compress it and hash again (its blob digest), write a config that lists the diff_ids and a
//! manifest that lists the blobs, and name the manifest in `index.json`.
//!
//! The output is *reproducible*: the same directory always gives the same bytes, hence the same
//! digests. A tar records timestamps, owners and the order of entries, so we fix all three
//! (mtime 0, uid and gid 0, entries sorted by name), and gzip records a timestamp too (set to 0).
//! Reproducible images are what let a test say "this image is sha256:..." and mean it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flate2::GzBuilder;
use oci_spec::image::{
    ANNOTATION_REF_NAME, Config, Descriptor, ImageConfigurationBuilder, ImageManifestBuilder,
    MediaType, PlatformBuilder, RootFsBuilder,
};
use tar::{EntryType, Header};

use crate::image::layout::{OciDir, sha256_digest};
use crate::image::media::{Compression, host_platform};
use crate::image::{Error, ImageRef, Result};

/// Tars the contents of `dir` (not `dir` itself) reproducibly: entries sorted by name, mtime 0,
/// uid and gid 0, permission bits as on disk. Regular files, directories and symlinks only.
pub fn tar_directory(dir: &Path) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    // `sort_by_file_name` orders siblings; the walk visits a directory before its contents, so
    // every parent precedes its children in the tar, as unpackers expect.
    let walk = walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name();
    for item in walk {
        let item = item.map_err(|error| {
            let path = error.path().unwrap_or(dir).to_path_buf();
            Error::io("walk", path)(error.into())
        })?;
        let path = item.path();
        let relative = path
            .strip_prefix(dir)
            .expect("walkdir yields paths under its root");
        // `symlink_metadata`, not `metadata`: a symlink is stored as a link, never followed.
        let meta = fs::symlink_metadata(path).map_err(Error::io("inspect", path))?;
        // A tar header is a 512-byte record: name, mode, owner, size, mtime, type, link target.
        // The GNU flavour can carry names longer than 100 bytes (as an extra record before the
        // entry), which deep paths need; every unpacker reads it.
        let mut header = Header::new_gnu();
        // The three fields that would make two builds of the same files differ.
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        // Permission bits only (with setuid, setgid, sticky): the type goes in its own field.
        header.set_mode(meta.permissions().mode() & 0o7777);
        let appended = if meta.is_dir() {
            header.set_entry_type(EntryType::Directory);
            header.set_size(0);
            builder.append_data(&mut header, relative, std::io::empty())
        } else if meta.is_file() {
            header.set_entry_type(EntryType::Regular);
            header.set_size(meta.len());
            let file = fs::File::open(path).map_err(Error::io("open", path))?;
            builder.append_data(&mut header, relative, file)
        } else if meta.file_type().is_symlink() {
            let target = fs::read_link(path).map_err(Error::io("read symlink", path))?;
            header.set_entry_type(EntryType::Symlink);
            header.set_size(0);
            // `append_link` stores the target in the header (with a long-name record if it is
            // long); a symlink has no content of its own.
            builder.append_link(&mut header, relative, target)
        } else {
            // Sockets, FIFOs and devices do not belong in an image: a container gets its
            // devices from the runtime (step 3), not from a layer.
            tracing::warn!(path = %path.display(), "skipping a special file while building a layer");
            continue;
        };
        appended.map_err(Error::io("add to layer", path))?;
    }
    // `into_inner` writes the end-of-archive marker (two zero records) and hands back the bytes.
    builder
        .into_inner()
        .map_err(Error::io("finish layer of", dir))
}

/// Gzips `bytes` reproducibly (no timestamp, no file name in the gzip header).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    // gzip's header has a modification time and an OS byte; `GzBuilder` leaves the OS byte at
    // "unknown" and we zero the time, so the output depends on the input alone (and on the
    // pinned flate2 version, whose compressor is deterministic).
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail: the only error source is the sink.
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// Writes one image (its layers, config and manifest) into `layout` and returns the manifest's
/// descriptor, ready to be named in an index. `layers` are uncompressed tars, base first.
pub fn write_image(
    layout: &OciDir,
    layers: &[Vec<u8>],
    compression: Compression,
    runtime_config: Config,
) -> Result<Descriptor> {
    let mut layer_descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for tar in layers {
        // Two digests per layer: the diff_id names the content, the blob digest names the bytes
        // on disk. They differ as soon as the layer is compressed.
        diff_ids.push(sha256_digest(tar).to_string());
        let descriptor = match compression {
            Compression::None => layout.write_blob(MediaType::ImageLayer, tar)?,
            Compression::Gzip => layout.write_blob(MediaType::ImageLayerGzip, &gzip(tar))?,
        };
        layer_descriptors.push(descriptor);
    }
    // The image is for this machine: its busybox binary (or the test's files) came from here.
    let (os, architecture) = host_platform();
    // `rootfs.type` is always "layers"; the spec reserves the field for other kinds one day.
    let rootfs = RootFsBuilder::default()
        .typ("layers")
        .diff_ids(diff_ids)
        .build()
        .expect("type and diff_ids are set");
    let config = ImageConfigurationBuilder::default()
        .architecture(architecture.clone())
        .os(os.clone())
        .config(runtime_config)
        .rootfs(rootfs)
        .build()
        .expect("architecture, os and rootfs are set");
    // No `created` time and no `history`: both would make the config, hence the manifest and
    // the image's digest, depend on when it was built. The order of writing matters too: the
    // config's digest goes into the manifest, so the config is written first.
    let config_descriptor = layout.write_blob(MediaType::ImageConfig, &to_json(&config)?)?;
    // `schemaVersion: 2` is fixed by the spec (for compatibility with Docker's format), and the
    // `mediaType` field lets a reader tell a manifest from an index without its descriptor.
    let manifest = ImageManifestBuilder::default()
        .schema_version(2_u32)
        .media_type(MediaType::ImageManifest)
        .config(config_descriptor)
        .layers(layer_descriptors)
        .build()
        .expect("schema version, config and layers are set");
    let mut descriptor = layout.write_blob(MediaType::ImageManifest, &to_json(&manifest)?)?;
    // The platform on the *descriptor* lets a reader of an index choose a manifest without
    // opening every config (see `pick_platform`).
    let platform = PlatformBuilder::default()
        .os(os)
        .architecture(architecture)
        .build()
        .expect("os and architecture are set");
    descriptor.set_platform(Some(platform));
    Ok(descriptor)
}

/// Names `descriptor` as `name` in the layout's `index.json`, replacing any entry that already
/// has that name (a re-tag), and keeps the entries sorted by name so the file is stable.
pub fn add_index_entry(layout: &OciDir, descriptor: &Descriptor, name: &ImageRef) -> Result<()> {
    add_annotated_entry(layout, descriptor, name, None)
}

/// [`add_index_entry`] with one more annotation on the entry, such as where a pulled image came
/// from (see `Store::pull`).
pub fn add_annotated_entry(
    layout: &OciDir,
    descriptor: &Descriptor,
    name: &ImageRef,
    extra: Option<(&str, &str)>,
) -> Result<()> {
    let mut index = layout.index()?;
    let name = name.to_string();
    let mut entry = descriptor.clone();
    // Only our annotations: annotations are a HashMap, whose JSON order would not be stable, so
    // built images carry just the name (and their index.json stays byte for byte the same).
    let mut annotations: std::collections::HashMap<String, String> =
        [(ANNOTATION_REF_NAME.to_owned(), name.clone())].into();
    if let Some((key, value)) = extra {
        annotations.insert(key.to_owned(), value.to_owned());
    }
    entry.set_annotations(Some(annotations));
    // A name points at one image: re-using a name moves it (like `docker tag`); the old
    // image's blobs stay, shared or unused, since nothing garbage-collects this store.
    let mut manifests: Vec<Descriptor> = index
        .manifests()
        .iter()
        .filter(|existing| ref_name(existing) != Some(name.as_str()))
        .cloned()
        .collect();
    manifests.push(entry);
    manifests.sort_by(|a, b| ref_name(a).cmp(&ref_name(b)));
    index.set_manifests(manifests);
    layout.write_index(&index)
}

/// The `org.opencontainers.image.ref.name` annotation of an index entry, if any.
pub fn ref_name(descriptor: &Descriptor) -> Option<&str> {
    descriptor
        .annotations()
        .as_ref()
        .and_then(|annotations| annotations.get(ANNOTATION_REF_NAME))
        .map(String::as_str)
}

/// Writes `bytes` to `path` atomically: into a temporary file beside it, then renamed over it.
/// A crash leaves the old file or the new one, never a torn one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    // Same directory as the target, so the final rename is atomic on one filesystem.
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp =
        tempfile::NamedTempFile::new_in(dir).map_err(Error::io("create a file in", dir))?;
    temp.write_all(bytes)
        .map_err(Error::io("write", temp.path().to_path_buf()))?;
    // Blobs and indexes are for everyone to read, like the files of a package.
    fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o644))
        .map_err(Error::io("set the mode of", temp.path().to_path_buf()))?;
    // `persist` is rename(2): it replaces `path` in one step, whatever was there.
    temp.persist(path)
        .map_err(|error| Error::io("rename a file to", path)(error.error))?;
    Ok(())
}

/// Serialises an OCI document compactly, as registries store them.
fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|source| Error::Json {
        what: "document",
        location: "being written".to_owned(),
        source,
    })
}
