//! Pull progress on stderr, one line per event worth a line: what the tag resolved to, each
//! blob skipped or verified, and every quarter of a large download.

use std::collections::HashMap;

use lab_01::image::Progress;

/// Downloads smaller than this get no percentages, only their "verified" line.
const QUIET_BELOW: u64 = 1024 * 1024;

/// Remembers how far each download was last reported, so a line is printed per quarter.
#[derive(Debug, Default)]
pub(crate) struct ProgressPrinter {
    reported: HashMap<String, u64>,
}

impl ProgressPrinter {
    /// Prints what `event` says, if it is worth a line.
    pub(crate) fn show(&mut self, event: Progress<'_>) {
        match event {
            Progress::Resolved { image, digest } => eprintln!("pulling {image} ({digest})"),
            Progress::Exists { digest, .. } => eprintln!("  {}: already present", short(digest)),
            Progress::Downloading {
                digest,
                done,
                total,
            } if total >= QUIET_BELOW => {
                let quarter = done * 4 / total;
                let last = self.reported.entry(digest.to_owned()).or_default();
                if quarter > *last && done < total {
                    *last = quarter;
                    eprintln!("  {}: {}% of {total} bytes", short(digest), quarter * 25);
                }
            }
            Progress::Downloading { .. } => {}
            Progress::Verified { digest, size } => {
                eprintln!("  {}: {size} bytes, verified", short(digest));
            }
        }
    }
}

/// `sha256:` and twelve hex digits, as `docker pull` shows layers.
fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}
