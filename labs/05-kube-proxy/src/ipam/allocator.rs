//! The host-local allocator: one file per address in use, created with `O_EXCL`.
//!
//! See the module documentation of [`crate::ipam`] for the layout of the state directory.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use super::PodCidr;

/// The file that remembers the last address handed out, as host-local names it (`.0` is the
/// index of the range; we have one).
pub const LAST_RESERVED_FILE: &str = "last_reserved_ip.0";

/// Why an address could not be allocated or released.
#[derive(Debug, thiserror::Error)]
pub enum IpamError {
    /// Every pod address of the range is taken.
    #[error("no free address left in {cidr} (every pod address is allocated)")]
    Exhausted {
        /// The node's pod range.
        cidr: PodCidr,
    },
    /// The owner key cannot be stored (empty, or with a line break).
    #[error("invalid pod key {0:?}: it must be one non-empty line")]
    InvalidOwner(String),
    /// The state directory could not be read or written.
    #[error("IPAM state {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
}

/// Hands out the pod addresses of one node's pod range, keeping its state in a directory.
///
/// Several allocators (threads or processes) may share the directory: the `O_EXCL` create is
/// what makes an address theirs. Allocating twice for the same owner returns the same address.
#[derive(Debug, Clone)]
pub struct Allocator {
    cidr: PodCidr,
    dir: PathBuf,
}

impl Allocator {
    /// An allocator for `cidr` with its state in `dir` (created if missing). Addresses already
    /// recorded there stay allocated.
    pub fn open(cidr: PodCidr, dir: impl Into<PathBuf>) -> Result<Self, IpamError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| io_error(&dir, source))?;
        Ok(Self { cidr, dir })
    }

    /// The range addresses come from.
    pub fn cidr(&self) -> PodCidr {
        self.cidr
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    // ANCHOR: allocate
    /// Gives `owner` (a pod key such as `default/web-0`) an address: the one it already has,
    /// or the next free one after the last address handed out.
    pub fn allocate(&self, owner: &str) -> Result<Ipv4Addr, IpamError> {
        // BEGIN SOLUTION step-1: return the owner's address if it has one; else try candidates(cidr, last reserved) in order, claiming each with an O_EXCL create (create_new) of its file holding the owner; remember the winner as last reserved; none left: Exhausted
        check_owner(owner)?;
        if let Some(address) = self.lookup(owner)? {
            return Ok(address);
        }
        for candidate in candidates(self.cidr, self.last_reserved()) {
            let path = self.address_path(candidate);
            // `create_new` is open(2) with O_CREAT|O_EXCL: the kernel fails it with EEXIST when
            // the file exists, so of two allocators racing here exactly one wins the address.
            let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => file,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(io_error(&path, source)),
            };
            file.write_all(format!("{owner}\n").as_bytes())
                .map_err(|source| io_error(&path, source))?;
            self.set_last_reserved(candidate)?;
            tracing::debug!(%candidate, owner, "allocated pod address");
            return Ok(candidate);
        }
        Err(IpamError::Exhausted { cidr: self.cidr })
        // END SOLUTION
    }
    // ANCHOR_END: allocate

    /// Frees the address of `owner`, returning it (`None` if it had none: releasing twice is
    /// fine, as CNI's DEL must be).
    pub fn release(&self, owner: &str) -> Result<Option<Ipv4Addr>, IpamError> {
        let Some(address) = self.lookup(owner)? else {
            return Ok(None);
        };
        let path = self.address_path(address);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(io_error(&path, source)),
        }
        tracing::debug!(%address, owner, "released pod address");
        Ok(Some(address))
    }

    /// The address `owner` holds, if any.
    pub fn lookup(&self, owner: &str) -> Result<Option<Ipv4Addr>, IpamError> {
        Ok(self
            .allocations()?
            .into_iter()
            .find_map(|(address, holder)| (holder == owner).then_some(address)))
    }

    /// Every address in use and its owner, in address order.
    pub fn allocations(&self) -> Result<BTreeMap<Ipv4Addr, String>, IpamError> {
        let entries = fs::read_dir(&self.dir).map_err(|source| io_error(&self.dir, source))?;
        let mut allocations = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(|source| io_error(&self.dir, source))?;
            // Other files (last_reserved_ip.0, a lock) are not allocations.
            let Some(address) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<Ipv4Addr>().ok())
                .filter(|address| self.cidr.is_pod_address(*address))
            else {
                continue;
            };
            let owner = match fs::read_to_string(entry.path()) {
                Ok(owner) => owner.trim_end().to_owned(),
                // Released between read_dir and here.
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(io_error(&entry.path(), source)),
            };
            allocations.insert(address, owner);
        }
        Ok(allocations)
    }

    /// The last address handed out, if recorded and still inside the range.
    fn last_reserved(&self) -> Option<Ipv4Addr> {
        fs::read_to_string(self.dir.join(LAST_RESERVED_FILE))
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .filter(|address| self.cidr.is_pod_address(*address))
    }

    /// Records `address` as the last handed out: written to a temporary file and renamed over
    /// the old one, so a reader never sees half a line.
    fn set_last_reserved(&self, address: Ipv4Addr) -> Result<(), IpamError> {
        let path = self.dir.join(LAST_RESERVED_FILE);
        let temporary = tempfile_path(&self.dir);
        fs::write(&temporary, address.to_string())
            .and_then(|()| fs::rename(&temporary, &path))
            .map_err(|source| io_error(&path, source))
    }

    fn address_path(&self, address: Ipv4Addr) -> PathBuf {
        self.dir.join(address.to_string())
    }
}

// ANCHOR: candidates
/// The order in which to try the pod addresses of `cidr`: starting just after `last` (the
/// last address handed out) and wrapping around, so every pod address comes exactly once.
/// Without a `last`, from the first pod address (`.2`).
pub fn candidates(cidr: PodCidr, last: Option<Ipv4Addr>) -> impl Iterator<Item = Ipv4Addr> {
    let first = u32::from(cidr.first_pod_address());
    let count = u32::from(cidr.last_pod_address()) - first + 1;
    let start = last
        .filter(|address| cidr.is_pod_address(*address))
        .map_or(0, |address| (u32::from(address) - first + 1) % count);
    (0..count).map(move |offset| Ipv4Addr::from(first + (start + offset) % count))
}
// ANCHOR_END: candidates

fn check_owner(owner: &str) -> Result<(), IpamError> {
    if owner.trim().is_empty() || owner.contains(['\n', '\r']) {
        return Err(IpamError::InvalidOwner(owner.to_owned()));
    }
    Ok(())
}

/// A name for a temporary file in `dir` that no other thread or process uses at the same time.
fn tempfile_path(dir: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".last_reserved.{}.{unique}", std::process::id()))
}

fn io_error(path: &Path, source: io::Error) -> IpamError {
    IpamError::Io {
        path: path.to_path_buf(),
        source,
    }
}
