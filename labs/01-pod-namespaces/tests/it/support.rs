//! Test fixtures: layer tars built in memory, image layouts in temporary directories, and a
//! deterministic listing of a rootfs for snapshots.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use lab_01::image::ImageRef;
use lab_01::image::build::{add_index_entry, write_image};
use lab_01::image::layout::OciDir;
use lab_01::image::media::Compression;
use oci_spec::image::{Config, Descriptor};
use tar::{EntryType, Header};

/// Builds a layer tar entry by entry, in the order given (the order matters for whiteouts).
pub(crate) struct Layer {
    builder: Option<tar::Builder<Vec<u8>>>,
}

impl Layer {
    pub(crate) fn new() -> Self {
        Self {
            builder: Some(tar::Builder::new(Vec::new())),
        }
    }

    fn append(
        mut self,
        kind: EntryType,
        path: &str,
        mode: u32,
        data: &[u8],
        link: Option<&str>,
    ) -> Self {
        let builder = self.builder.as_mut().expect("layer not finished");
        let mut header = Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_mtime(0);
        header.set_size(data.len() as u64);
        match link {
            Some(target) => builder.append_link(&mut header, path, target).unwrap(),
            None => builder.append_data(&mut header, path, data).unwrap(),
        }
        self
    }

    pub(crate) fn dir(self, path: &str, mode: u32) -> Self {
        self.append(EntryType::Directory, path, mode, b"", None)
    }

    pub(crate) fn file(self, path: &str, mode: u32, content: &str) -> Self {
        self.append(EntryType::Regular, path, mode, content.as_bytes(), None)
    }

    pub(crate) fn symlink(self, path: &str, target: &str) -> Self {
        self.append(EntryType::Symlink, path, 0o777, b"", Some(target))
    }

    pub(crate) fn hardlink(self, path: &str, target: &str) -> Self {
        self.append(EntryType::Link, path, 0o644, b"", Some(target))
    }

    /// A whiteout is just an empty regular file with a special name.
    pub(crate) fn whiteout(self, path: &str) -> Self {
        self.file(path, 0o644, "")
    }

    /// A file whose name is written into the header as is, bypassing the `tar` crate's own
    /// refusal of `..` and absolute paths: what a hostile layer would contain.
    pub(crate) fn raw_file(mut self, raw_name: &str, content: &str) -> Self {
        let builder = self.builder.as_mut().expect("layer not finished");
        let mut header = Header::new_old();
        header.as_old_mut().name[..raw_name.len()].copy_from_slice(raw_name.as_bytes());
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(content.len() as u64);
        header.set_cksum();
        builder.append(&header, content.as_bytes()).unwrap();
        self
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.builder
            .take()
            .expect("layer not finished")
            .into_inner()
            .unwrap()
    }
}

/// Writes an image with these layers into a new layout at `dir`, named `fixture:latest`.
pub(crate) fn fixture_layout(
    dir: &Path,
    layers: &[Vec<u8>],
    compression: Compression,
) -> (OciDir, Descriptor) {
    let layout = OciDir::create(dir).unwrap();
    let descriptor = write_image(&layout, layers, compression, Config::default()).unwrap();
    let name = ImageRef::parse("fixture").unwrap();
    add_index_entry(&layout, &descriptor, &name).unwrap();
    (layout, descriptor)
}

/// The file name of a blob, for tests that damage it.
pub(crate) fn blob_file(layout: &OciDir, descriptor: &Descriptor) -> std::path::PathBuf {
    layout.blob_path(descriptor.digest()).unwrap()
}

/// One line per path under `root`, sorted: `path type mode detail`. Symlinks show their target,
/// files their size (and link count when hard-linked). Owners and times are left out: they
/// depend on who runs the test and when.
pub(crate) fn listing(root: &Path) -> String {
    let mut lines = Vec::new();
    for item in walkdir::WalkDir::new(root).min_depth(1).sort_by_file_name() {
        let item = item.unwrap();
        let path = item
            .path()
            .strip_prefix(root)
            .unwrap()
            .display()
            .to_string();
        let meta = fs::symlink_metadata(item.path()).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        let line = if meta.file_type().is_symlink() {
            let target = fs::read_link(item.path()).unwrap();
            format!("{path} link -> {}", target.display())
        } else if meta.is_dir() {
            format!("{path}/ dir {mode:04o}")
        } else {
            let links = if meta.nlink() > 1 {
                format!(" links={}", meta.nlink())
            } else {
                String::new()
            };
            format!("{path} file {mode:04o} size={}{links}", meta.len())
        };
        lines.push(line);
    }
    lines.join("\n")
}

/// Replaces every `sha256:<64 hex>` with `sha256:<digest>` and the host architecture with
/// `<arch>`, so a snapshot holds on every machine.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("sha256:") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 7..];
        let hex_len = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex_len == 64 {
            out.push_str("sha256:<digest>");
            rest = &after[64..];
        } else {
            out.push_str("sha256:");
            rest = after;
        }
    }
    out.push_str(rest);
    let (_, arch) = lab_01::image::media::host_platform();
    out.replace(&format!("\"{arch}\""), "\"<arch>\"")
}
