//! A blob arriving from the network: written as it comes, verified before it enters the layout.
//!
//! A registry is a server we do not control, and the bytes cross a network: a proxy may truncate
//! them, a mirror may serve stale ones, an attacker may swap them. The descriptor that led us to
//! the blob (in a manifest we verified by digest) says how many bytes to expect and what they
//! hash to, so the rule is simple: hash while writing to a temporary file beside the blob's
//! final name, and rename it into place only when both size and digest match. A blob that fails
//! leaves nothing behind (the temporary file is removed when dropped), so the store never holds a
//! blob whose name is a lie, and a later pull starts over.
//!
//! The bytes come in chunks (HTTP frames), so this is a small state machine rather than a
//! function: [`IncomingBlob::write`] per chunk, [`IncomingBlob::finish`] at the end.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use oci_spec::image::Descriptor;
use sha2::{Digest as _, Sha256};
use tempfile::NamedTempFile;

use crate::image::layout::{OciDir, hex};
use crate::image::{Error, Result};

/// One blob being downloaded into a layout.
#[derive(Debug)]
pub struct IncomingBlob {
    /// What the blob must be: its size and digest.
    descriptor: Descriptor,
    /// Where it goes once verified: `blobs/sha256/<hex>`.
    path: PathBuf,
    /// The bytes so far, in a temporary file in the same directory (so the rename is atomic).
    temp: NamedTempFile,
    /// The SHA-256 of the bytes so far.
    hasher: Sha256,
    /// How many bytes so far.
    received: u64,
}

impl IncomingBlob {
    /// Starts receiving the blob `descriptor` names into `layout`.
    pub fn new(layout: &OciDir, descriptor: &Descriptor) -> Result<Self> {
        let path = layout.blob_path(descriptor.digest())?;
        let dir = path.parent().unwrap_or(layout.root()).to_path_buf();
        let temp = NamedTempFile::new_in(&dir).map_err(Error::io("create a file in", &dir))?;
        Ok(Self {
            descriptor: descriptor.clone(),
            path,
            temp,
            hasher: Sha256::new(),
            received: 0,
        })
    }

    /// How many bytes have arrived.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Takes the next chunk, refusing more bytes than the descriptor promised: a server that
    /// keeps sending must not fill the disk.
    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let received = self.received + chunk.len() as u64;
        if received > self.descriptor.size() {
            return Err(Error::BadDownload {
                digest: self.descriptor.digest().to_string(),
                reason: format!(
                    "the registry sent more than the {} bytes its descriptor says",
                    self.descriptor.size()
                ),
            });
        }
        self.hasher.update(chunk);
        self.temp
            .write_all(chunk)
            .map_err(Error::io("write", self.temp.path().to_path_buf()))?;
        self.received = received;
        Ok(())
    }

    // ANCHOR: finish
    /// Checks the complete blob against its descriptor and, only if size and digest match,
    /// renames it into the layout. On any error nothing is stored.
    pub fn finish(self) -> Result<()> {
        // BEGIN SOLUTION step-1: refuse a short blob or a digest mismatch (BadDownload), else make it 0644 and persist it under its name
        let digest = self.descriptor.digest().to_string();
        if self.received != self.descriptor.size() {
            return Err(Error::BadDownload {
                digest,
                reason: format!(
                    "the registry sent {} bytes, but its descriptor says {}",
                    self.received,
                    self.descriptor.size()
                ),
            });
        }
        // oci_spec keeps sha256 digests as lowercase hex, the form `hex` writes: comparing the
        // strings compares the digests.
        let actual = hex(&self.hasher.finalize());
        if actual != self.descriptor.digest().digest() {
            // `self.temp` is dropped on the way out, which deletes the file.
            return Err(Error::BadDownload {
                digest,
                reason: format!("the bytes hash to sha256:{actual}"),
            });
        }
        // Readable by all, like every other blob (a temporary file starts as 0600).
        fs::set_permissions(self.temp.path(), fs::Permissions::from_mode(0o644))
            .map_err(Error::io("set the mode of", &self.path))?;
        self.temp
            .persist(&self.path)
            .map_err(|error| Error::io("rename blob to", &self.path)(error.error))?;
        Ok(())
        // END SOLUTION
    }
    // ANCHOR_END: finish
}
