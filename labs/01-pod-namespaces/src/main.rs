//! `lab-01`: the command line of lab 01, a thin shell over the `lab_01` library.
//!
//! Step 1 gives it the image commands:
//!
//! ```text
//! cargo run -p lab-01 -- images build-busybox            # the offline busybox image
//! cargo run -p lab-01 -- images list
//! cargo run -p lab-01 -- images unpack busybox /tmp/rootfs
//! cargo run -p lab-01 -- images import ./layout --name myapp:1.0
//! cargo run -p lab-01 -- images pull busybox:1.36                # from Docker Hub
//! cargo run -p lab-01 -- images pull 127.0.0.1:5000/team/app:1.0  # a local registry (HTTP)
//! ```
//!
//! Step 7 adds `run`, which runs a Pod manifest on this machine (as root) until its containers
//! are done, streaming their logs, then prints the Pod's status:
//!
//! ```text
//! sudo cargo run -p lab-01 -- run examples/two-containers.yaml [--timeout 30s] [--json]
//! ```
//!
//! Every command takes `--store DIR`; without it the store is `$KUBELAB_HOME/images`, where
//! `KUBELAB_HOME` defaults to `/var/lib/kubelab` for root and `~/.local/share/kubelab` otherwise.
//! Set `RUST_LOG=info` to see what happens underneath.
//!
//! Exit codes: 0 on success, 2 for bad input (a one-line message says what is wrong and what to
//! do), 1 when the machine fails us (a disk error, say).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use lab_01::image::busybox::{self, DEFAULT_BUSYBOX};
use lab_01::image::{self, ImageRef, OciDir, Store, StoredImage};
use tracing_subscriber::EnvFilter;

// The `run` command lives in its own file; it is part of this binary, not of the library.
#[path = "cli/run_pod.rs"]
mod run_pod;
// Pull progress on stderr, for `images pull` and `run`.
#[path = "cli/pull_progress.rs"]
mod pull_progress;
// `bench-pod`, the measurement behind `cargo xtask bench runtime`.
#[path = "cli/bench_pod.rs"]
mod bench_pod;

// The command line is declared as types: clap derives the parser, `--help` and the usage errors
// from these structs and their doc comments (which become the help text).

/// A pod runtime built from Linux namespaces (lab 01 of the course).
#[derive(Debug, Parser)]
#[command(name = "lab-01", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The top-level commands: one per area.
#[derive(Debug, Subcommand)]
enum Command {
    /// Manage the local image store (step 1).
    #[command(subcommand)]
    Images(ImagesCommand),
    /// Run a Pod manifest on this machine until its containers are done, then print its
    /// status (step 7). Needs root.
    Run(RunArgs),
    /// Time pod starts: a sandbox and one `/bin/true` container in ROOTFS, started, waited for
    /// and stopped, RUNS times; prints microseconds per run (for `cargo xtask bench runtime`).
    #[command(name = "bench-pod", hide = true)]
    BenchPod {
        /// An unpacked busybox rootfs.
        #[arg(long, value_name = "DIR")]
        rootfs: PathBuf,
        /// How many pods to start.
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// The pause process of a pod sandbox (step 2); the runtime starts it, not a user.
    #[command(name = "__sandbox", hide = true)]
    Sandbox {
        /// The plan to execute, as JSON.
        plan: PathBuf,
    },
    /// The init of a container (step 3); the runtime starts it, not a user.
    #[command(name = "__container", hide = true)]
    Container {
        /// The plan to execute, as JSON.
        plan: PathBuf,
    },
}

/// `lab-01 images ...`: step 1's commands.
#[derive(Debug, Subcommand)]
enum ImagesCommand {
    /// Build the offline `busybox:latest` image from the host's busybox-static and store it.
    BuildBusybox {
        /// The statically linked busybox binary to use.
        #[arg(long, value_name = "PATH", default_value = DEFAULT_BUSYBOX)]
        busybox: PathBuf,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Copy the images of an OCI image layout directory into the store.
    Import {
        /// A directory holding `oci-layout`, `index.json` and `blobs/`.
        layout: PathBuf,
        /// The name to store its only image under (default: its ref.name annotation).
        #[arg(long, value_name = "NAME[:TAG]")]
        name: Option<String>,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Pull an image from its registry (Docker Hub when the name has no registry host).
    Pull {
        /// The image, as NAME[:TAG][@DIGEST] (the tag defaults to latest).
        image: String,
        /// A registry (HOST:PORT) to reach over plain HTTP instead of HTTPS; repeatable.
        /// localhost and 127.0.0.1 always are.
        #[arg(long = "insecure-registry", value_name = "HOST:PORT")]
        insecure_registries: Vec<String>,
        #[command(flatten)]
        store: StoreArg,
    },
    /// List the stored images.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Unpack a stored image into a new or empty directory, as a container's rootfs.
    Unpack {
        /// The image, as NAME[:TAG] (the tag defaults to latest).
        image: String,
        /// The rootfs directory to create.
        dest: PathBuf,
        #[command(flatten)]
        store: StoreArg,
    },
}

/// `lab-01 run ...`.
#[derive(Debug, Args)]
struct RunArgs {
    /// A YAML file with one Pod (and the ConfigMaps and Secrets its volumes name).
    manifest: PathBuf,
    /// Stop the Pod gracefully after this long (e.g. 30s, 2m); by default it runs until its
    /// containers are done for good (or Ctrl-C).
    #[arg(long, value_name = "DURATION", value_parser = lab_01::pod::parse_duration)]
    timeout: Option<std::time::Duration>,
    /// Print the final status as JSON (a `v1.PodStatus`) on stdout; logs then go to stderr.
    #[arg(long)]
    json: bool,
    /// A registry (HOST:PORT) to pull from over plain HTTP; repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST:PORT")]
    insecure_registries: Vec<String>,
    #[command(flatten)]
    store: StoreArg,
}

/// The `--store DIR` option every image command shares (flattened into each).
#[derive(Debug, Args)]
struct StoreArg {
    /// The image store directory (default: $KUBELAB_HOME/images).
    #[arg(long = "store", value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Bad input found by the command itself rather than the library (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints usage errors to stderr and `--help` to stdout; it uses exit code 2 for
            // the former, as we do for all bad input.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // The runtime's helper processes (hidden subcommands): they exit with the code of the
    // pause process or of the container, so they skip the error handling below, and they set
    // up no logging, since their stderr is the container's log.
    let command = match cli.command {
        Command::Sandbox { plan } => return lab_01::helper::run_sandbox(&plan),
        Command::Container { plan } => return lab_01::helper::run_container(&plan),
        command => command,
    };
    // Logs go to stderr so that stdout stays the command's output (tables a script can read).
    // `RUST_LOG` chooses what to see; by default only warnings.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // `ExitCode` instead of `process::exit`: returning from `main` runs destructors, so the
    // temporary directories of a failed command are removed too.
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole cause chain on one line: "what failed: why".
            eprintln!("error: {error:#}");
            if is_bad_input(&error) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs one command. Errors travel up as `anyhow::Error`, keeping the library's typed error
/// inside so that `main` can tell bad input from a failing machine.
fn run(command: Command) -> anyhow::Result<()> {
    let command = match command {
        Command::Images(command) => command,
        Command::Run(args) => return run_pod::run(&args),
        Command::BenchPod { rootfs, runs } => return bench_pod::run(rootfs, runs),
        Command::Sandbox { .. } | Command::Container { .. } => {
            return Err(
                UsageError("helper subcommands are started by the runtime".to_owned()).into(),
            );
        }
    };
    match command {
        ImagesCommand::BuildBusybox { busybox, store } => {
            let store = Store::open_or_create(store.resolve()?)?;
            // Build a standalone layout first, then import it: the store only ever gains images
            // through the same verified path, whoever made them.
            let staging = tempfile::tempdir().context("failed to create a temporary directory")?;
            let layout_dir = staging.path().join("busybox");
            busybox::build_layout(&busybox, &layout_dir)?;
            print_images(&store.import(&OciDir::open(&layout_dir)?, None)?);
        }
        ImagesCommand::Import {
            layout,
            name,
            store,
        } => {
            // Everything the user typed is checked before the store is touched.
            let name = name.as_deref().map(ImageRef::parse).transpose()?;
            let source = OciDir::open(layout)?;
            let store = Store::open_or_create(store.resolve()?)?;
            print_images(&store.import(&source, name.as_ref())?);
        }
        ImagesCommand::Pull {
            image,
            insecure_registries,
            store,
        } => {
            let reference = ImageRef::parse(&image)?;
            let store = Store::open_or_create(store.resolve()?)?;
            let options = image::PullOptions {
                insecure_registries,
            };
            let mut printer = pull_progress::ProgressPrinter::default();
            let pulled = store.pull(&reference, &options, &mut |event| printer.show(event))?;
            print_images(&[pulled]);
        }
        // `open`, not `open_or_create`: listing or unpacking must not create a store as a side
        // effect, and a missing store deserves a message that says how to make one.
        ImagesCommand::List { store } => {
            print_images(&Store::open(store.resolve()?)?.list()?);
        }
        ImagesCommand::Unpack { image, dest, store } => {
            // `busybox` becomes `busybox:latest` here, the same way a Pod's `image:` will.
            let reference = ImageRef::parse(&image)?;
            let store = Store::open(store.resolve()?)?;
            let unpacked = store.unpack(&reference, &dest)?;
            println!(
                "unpacked {reference} ({}) into {}",
                unpacked.manifest_digest,
                dest.display()
            );
        }
    }
    Ok(())
}

impl StoreArg {
    /// The store directory: `--store`, else `$KUBELAB_HOME/images`.
    fn resolve(&self) -> anyhow::Result<PathBuf> {
        match &self.dir {
            Some(dir) => Ok(dir.clone()),
            None => Ok(kubelab_home()?.join("images")),
        }
    }
}

/// `$KUBELAB_HOME`, by default `/var/lib/kubelab` for root and `~/.local/share/kubelab`
/// otherwise.
fn kubelab_home() -> anyhow::Result<PathBuf> {
    if let Some(home) = std::env::var_os("KUBELAB_HOME") {
        return Ok(PathBuf::from(home));
    }
    // Root gets a system-wide directory, like /var/lib/containerd; a user gets their own.
    if nix::unistd::geteuid().is_root() {
        return Ok(PathBuf::from("/var/lib/kubelab"));
    }
    let home = std::env::var_os("HOME").ok_or_else(|| {
        UsageError("HOME is not set; pass --store DIR or set KUBELAB_HOME".to_owned())
    })?;
    Ok(PathBuf::from(home).join(".local/share/kubelab"))
}

/// Prints images as a table, like `crictl images`.
fn print_images(images: &[StoredImage]) {
    println!("{:<40} {:<19} {:>10}", "IMAGE", "DIGEST", "SIZE");
    for stored in images {
        // Twelve hex digits identify an image in practice, as `docker images` shows them.
        let short: String = stored.digest.digest().chars().take(12).collect();
        let size = human_size(stored.size);
        println!(
            "{:<40} sha256:{short:<12} {size:>10}",
            stored.reference.to_string()
        );
    }
}

/// Sizes in powers of 1024, with one decimal: `1.1 MiB`.
fn human_size(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    // Precision is irrelevant for display, so f64 is fine even for huge sizes.
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < units.len() {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", units[unit])
    }
}

/// Bad input is any library error that says so, or our own [`UsageError`].
fn is_bad_input(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.is::<UsageError>()
            || cause
                .downcast_ref::<image::Error>()
                .is_some_and(image::Error::is_bad_input)
            || cause
                .downcast_ref::<lab_01::error::Error>()
                .is_some_and(lab_01::error::Error::is_bad_input)
    })
}
