//! Step 6 tests of the host exec runner: real commands through `std::process`, with exit codes,
//! a missing program, and a timeout that kills the whole command.

use std::time::Duration;

use lab_01::probe::{ExecError, ExecRunner, HostExecRunner};

fn command(words: &[&str]) -> Vec<String> {
    words.iter().map(|word| (*word).to_owned()).collect()
}

#[test]
fn step6_host_exec_runner_reports_exit_codes() {
    let sh = labkit::require!(labkit::host_binary("sh", "dash"));
    let sh = sh.to_str().unwrap();
    let run = |words: &[&str]| HostExecRunner.exec(&command(words), Duration::from_secs(30));
    assert_eq!(run(&[sh, "-c", "exit 0"]).unwrap(), 0);
    assert_eq!(run(&[sh, "-c", "exit 3"]).unwrap(), 3);
    // Killed by a signal: 128 + the signal's number, as a shell reports it (SIGKILL is 9).
    assert_eq!(run(&[sh, "-c", "kill -9 $$"]).unwrap(), 137);
    assert!(matches!(
        run(&["/no/such/program"]),
        Err(ExecError::Spawn { .. })
    ));
    assert!(matches!(run(&[]), Err(ExecError::EmptyCommand)));
}

#[test]
fn step6_host_exec_runner_kills_the_whole_command_at_the_timeout() {
    let sh = labkit::require!(labkit::host_binary("sh", "dash"));
    let sleep = labkit::require!(labkit::host_binary("sleep", "coreutils"));
    // A sleep long enough never to end by itself, with a length no other test uses, so we can
    // look for exactly this process afterwards. `; true` makes the shell fork it instead of
    // becoming it: the runner must kill a grandchild too.
    let seconds = format!("{}", 40_000 + std::process::id() % 10_000);
    let script = format!("{} {seconds}; true", sleep.display());
    let result = HostExecRunner.exec(
        &command(&[sh.to_str().unwrap(), "-c", &script]),
        Duration::from_millis(300),
    );
    assert!(
        matches!(result, Err(ExecError::TimedOut(t)) if t == Duration::from_millis(300)),
        "{result:?}"
    );
    // Nothing of the command is left running.
    labkit::poll_until(
        Duration::from_secs(10),
        "the probe's sleep to be killed",
        || (!sleep_is_running(&seconds)).then_some(()),
    );
}

/// Whether a `sleep <seconds>` process is alive (a killed one not yet reaped by its new parent
/// is a zombie, whose command line is empty: it counts as gone).
fn sleep_is_running(seconds: &str) -> bool {
    let wanted = format!("\0{seconds}\0");
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).into_owned())
        .any(|cmdline| cmdline.contains("sleep") && cmdline.contains(&wanted))
}
