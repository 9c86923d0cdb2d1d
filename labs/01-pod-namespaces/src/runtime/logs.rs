//! Step 7: container logs, `kubectl logs --tail N` and `kubectl logs -f`.
//!
//! A container's stdout and stderr go to one file (step 3 opened it with `O_APPEND` and handed
//! it to the container as fd 1 and 2), so its log is simply that file, in the order things were
//! written. Two ways to read it:
//!
//! - [`tail`]: the last N lines. Read backwards from the end in blocks, so a 1 GiB log costs
//!   the same as a small one.
//! - [`Follower`]: the lines written since the last call (`-f`). It remembers its offset, and
//!   keeps a half-written last line until its newline arrives, so no line is ever cut in two.

use std::fs::File;
use std::io::{self, Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

/// How much [`tail`] reads per step backwards.
const BLOCK: u64 = 8 * 1024;

// ANCHOR: tail
/// The last `lines` lines of the log at `path` (all of it for `None`), as text. A missing log
/// is empty: the container has not written anything yet.
pub fn tail(path: &Path, lines: Option<usize>) -> io::Result<String> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(String::new()),
        Err(error) => return Err(error),
    };
    let Some(wanted) = lines else {
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        return Ok(text);
    };
    // BEGIN SOLUTION step-7: read blocks backwards from the end until `wanted` newlines precede the last line, then keep what follows the right one
    if wanted == 0 {
        return Ok(String::new());
    }
    let mut start = file.metadata()?.len();
    let mut buffer: Vec<u8> = Vec::new();
    // The file's final newline ends the last line; it does not separate two lines.
    let body = |buffer: &[u8]| buffer.strip_suffix(b"\n").unwrap_or(buffer).to_vec();
    while start > 0 && body(&buffer).iter().filter(|&&b| b == b'\n').count() < wanted {
        let step = BLOCK.min(start);
        start -= step;
        let mut block = vec![0; step as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block)?;
        block.extend_from_slice(&buffer);
        buffer = block;
    }
    // Keep what follows the `wanted`-th newline from the end (all of it if there are fewer).
    let cut = body(&buffer)
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, byte)| **byte == b'\n')
        .nth(wanted - 1)
        .map_or(0, |(index, _)| index + 1);
    Ok(String::from_utf8_lossy(&buffer[cut..]).into_owned())
    // END SOLUTION
}
// ANCHOR_END: tail

/// Reads the lines appended to a log since it last looked (`kubectl logs -f`).
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    offset: u64,
    /// The start of a line whose newline has not been written yet.
    partial: Vec<u8>,
}

impl Follower {
    /// Follows the log at `path` from its beginning.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            offset: 0,
            partial: Vec::new(),
        }
    }

    /// Follows the log at `path` from byte `offset` on: a kubelet that has already sent the
    /// log's first part with [`tail`] follows from where that ended.
    pub fn starting_at(path: impl Into<PathBuf>, offset: u64) -> Self {
        Self {
            path: path.into(),
            offset,
            partial: Vec::new(),
        }
    }

    /// The complete lines written since the last call, without their newlines.
    pub fn poll_lines(&mut self) -> io::Result<Vec<String>> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        // A log that got shorter was truncated (`echo > /proc/1/fd/1` opens it anew with
        // O_TRUNC): start over from its beginning rather than wait past its end forever.
        if file.metadata()?.len() < self.offset {
            self.offset = 0;
            self.partial.clear();
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut fresh = Vec::new();
        self.offset += file.read_to_end(&mut fresh)? as u64;
        self.partial.extend_from_slice(&fresh);
        Ok(self.take_complete_lines())
    }

    /// What is left of a last line without a newline, once the writer is gone for good (the
    /// container exited): `kubectl logs` shows it too.
    pub fn finish(&mut self) -> Option<String> {
        if self.partial.is_empty() {
            return None;
        }
        let line = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        Some(line)
    }

    /// Splits off every complete line of the buffer, keeping the partial rest.
    fn take_complete_lines(&mut self) -> Vec<String> {
        let Some(last_newline) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let rest = self.partial.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.partial, rest);
        complete[..last_newline]
            .split(|&b| b == b'\n')
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .collect()
    }
}
