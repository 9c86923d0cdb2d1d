//! `lab-04`: the command line of lab 04, a thin shell over the `lab_04` library.
//!
//! ```text
//! cargo run -p lab-04 -- simulate labs/04-scheduler/examples/app-and-log-collector.yaml --explain
//! cargo run -p lab-04 -- simulate scenario.yaml --json --seed 7
//! cargo run -p lab-04 -- scheduler --kubeconfig lab02.kubeconfig [--scheduler-name my-scheduler]
//! ```
//!
//! Exit codes: 0 on success, 2 for bad flags, a scenario file that cannot be read or used (a
//! one-line message names the document and the field) or a kubeconfig that cannot be read, 1
//! for anything else. `scheduler` runs until Ctrl-C; an apiserver that cannot be reached is
//! logged and retried, not an error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lab_04::scheduler;
use lab_04::simulate::{self, Options};
use tracing_subscriber::EnvFilter;

/// The scheduler of the course (lab 04).
#[derive(Debug, Parser)]
#[command(name = "lab-04", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Schedule the pending pods of a YAML file of v1 Nodes and Pods, without a cluster. Pods
    /// with spec.nodeName are running already; the others are scheduled in file order.
    Simulate {
        /// The scenario: a multi-document YAML file.
        scenario: PathBuf,
        /// Also print each node's filter verdict and per-plugin scores.
        #[arg(long)]
        explain: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The seed that breaks ties between equally scored nodes.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Do not preempt lower-priority pods for pods that fit nowhere.
        #[arg(long)]
        no_preemption: bool,
    },
    /// Schedule the pending pods of an apiserver whose spec.schedulerName is ours, until
    /// Ctrl-C.
    Scheduler {
        /// The kubeconfig of the apiserver.
        #[arg(long)]
        kubeconfig: PathBuf,
        /// Schedule the pods that ask for this scheduler.
        #[arg(long, default_value = lab_04::queue::DEFAULT_SCHEDULER_NAME)]
        scheduler_name: String,
        /// The seed that breaks ties between equally scored nodes.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Do not preempt lower-priority pods for pods that fit nowhere.
        #[arg(long)]
        no_preemption: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        // RUST_LOG if set, else info: the scheduler says what it binds and when it retries.
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Scheduler {
            kubeconfig,
            scheduler_name,
            seed,
            no_preemption,
        } => run_scheduler(&kubeconfig, scheduler_name, seed, !no_preemption),
        Command::Simulate {
            scenario,
            explain,
            json,
            seed,
            no_preemption,
        } => {
            let text = match std::fs::read_to_string(&scenario) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", scenario.display());
                    return ExitCode::from(2);
                }
            };
            let simulation = match simulate::simulate(
                &text,
                &Options {
                    seed,
                    preemption: !no_preemption,
                },
            ) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {}: {e}", scenario.display());
                    return ExitCode::from(2);
                }
            };
            if json {
                match serde_json::to_string_pretty(&simulate::render_json(&simulation, explain)) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(1);
                    }
                }
            } else {
                print!("{}", simulate::render_text(&simulation, explain));
            }
            ExitCode::SUCCESS
        }
    }
}

/// `lab-04 scheduler`: the loop until Ctrl-C.
fn run_scheduler(
    kubeconfig: &std::path::Path,
    scheduler_name: String,
    seed: u64,
    preemption: bool,
) -> ExitCode {
    let client = match lab_03::manager::Config::from_kubeconfig_file(kubeconfig) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let config = scheduler::Config {
        client,
        scheduler_name,
        seed,
        preemption,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match runtime.block_on(scheduler::run(config, ctrl_c)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
