//! `kubectl exec -i` and `kubectl exec -it`: a command whose streams stay open while it runs.
//!
//! Without `-i`/`-t` the kubelet runs the command to its end and sends the output in one piece
//! (`exec`). With them, the bytes flow both ways while the command runs:
//!
//! ```text
//!  kubectl ── [0]stdin ──────> input thread ──> the command's stdin (a pipe, or the terminal)
//!          ── [4]{"Width":..} > input thread ──> TIOCSWINSZ on the terminal (-t)
//!          ── [255,0] ───────> input thread ──> stdin closed (v5: "no more input")
//!          <─ [1]stdout ────── reader thread <── a pipe, or the terminal (-t: stderr merged)
//!          <─ [2]stderr ────── reader thread <── a pipe (not with -t)
//!          <─ [3]status ────── when the command has exited and its output is drained
//! ```
//!
//! With `-t` the command runs on a pseudo-terminal: we keep the master side, the command gets
//! the other side as stdin, stdout and stderr, and lab 01 makes it the controlling terminal of
//! the command's own session, so a shell has job control and Ctrl-C reaches it. Pipes and the
//! terminal are blocking file descriptors, so each is served by a thread of its own; the
//! WebSocket side is async.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::{AsFd as _, AsRawFd as _, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc as std_mpsc;

use axum::extract::ws::{Message, WebSocket};
use futures_util::{SinkExt as _, StreamExt as _};
use lab_01::runtime::exec::{ExecStdio, ExecTarget, exec_start};
use tokio::sync::mpsc;

use super::exec::{EXEC_TIMEOUT, exit_status, failure, send_status};

/// What the input thread does with what kubectl sent.
enum Input {
    /// Bytes for the command's stdin (channel 0).
    Data(Vec<u8>),
    /// The terminal's new size (channel 4): columns, rows.
    Resize(u16, u16),
    /// No more input (v5's close of channel 0).
    Close,
}

/// Where the command's streams go, on our side.
struct Ends {
    /// Where stdin bytes are written (`None`: kubectl sends no input).
    input: Option<File>,
    /// The terminal's master side, for resizes (`-t` only).
    terminal: Option<File>,
    /// What we read output from, with the channel it goes out on.
    outputs: Vec<(u8, File)>,
}

/// Opens the pipes or the terminal and returns our ends and the command's.
fn open_streams(stdin: bool, tty: bool) -> std::io::Result<(Ends, ExecStdio)> {
    if tty {
        let pty = nix::pty::openpty(None, None)?;
        let master = File::from(pty.master);
        let slave: OwnedFd = pty.slave;
        let ends = Ends {
            input: Some(master.try_clone()?),
            terminal: Some(master.try_clone()?),
            outputs: vec![(1, master)],
        };
        let stdio = ExecStdio {
            stdin: Stdio::from(slave.try_clone()?),
            stdout: Stdio::from(slave.try_clone()?),
            stderr: Stdio::from(slave),
        };
        return Ok((ends, stdio));
    }
    let (stdout_reader, stdout_writer) = std::io::pipe()?;
    let (stderr_reader, stderr_writer) = std::io::pipe()?;
    let (input, child_stdin) = if stdin {
        let (reader, writer) = std::io::pipe()?;
        (Some(File::from(OwnedFd::from(writer))), Stdio::from(reader))
    } else {
        (None, Stdio::null())
    };
    let ends = Ends {
        input,
        terminal: None,
        outputs: vec![
            (1, File::from(OwnedFd::from(stdout_reader))),
            (2, File::from(OwnedFd::from(stderr_reader))),
        ],
    };
    let stdio = ExecStdio {
        stdin: child_stdin,
        stdout: Stdio::from(stdout_writer),
        stderr: Stdio::from(stderr_writer),
    };
    Ok((ends, stdio))
}

/// Sets the terminal's size (what `stty size` reports inside).
#[allow(unsafe_code)]
fn set_window_size(terminal: BorrowedFd<'_>, columns: u16, rows: u16) {
    let size = nix::libc::winsize {
        ws_row: rows,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one `winsize` through the pointer, which is valid for the call;
    // the descriptor is borrowed, so it is open.
    let result = unsafe { nix::libc::ioctl(terminal.as_raw_fd(), nix::libc::TIOCSWINSZ, &size) };
    if result < 0 {
        tracing::debug!(
            "cannot resize the terminal: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// The input thread: writes stdin bytes and applies resizes until kubectl is done.
fn write_input(
    mut input: Option<File>,
    terminal: Option<&File>,
    received: std_mpsc::Receiver<Input>,
) {
    for message in received {
        match message {
            Input::Data(bytes) => {
                if let Some(file) = input.as_mut()
                    && file.write_all(&bytes).is_err()
                {
                    // The command closed its stdin (or exited): later input has nowhere to go.
                    input = None;
                }
            }
            Input::Resize(columns, rows) => {
                if let Some(terminal) = terminal {
                    set_window_size(terminal.as_fd(), columns, rows);
                }
            }
            // Dropping a pipe's write end is its end of file. A terminal has none: there, a
            // shell reads the EOF character (Ctrl-D) itself.
            Input::Close if terminal.is_none() => input = None,
            Input::Close => {}
        }
    }
}

/// A reader thread: sends what `file` gives out on `channel`, until end of file (a pipe) or
/// EIO (a terminal whose other side is closed).
fn read_output(channel: u8, mut file: File, output: &mpsc::UnboundedSender<Vec<u8>>) {
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut message = Vec::with_capacity(n + 1);
                message.push(channel);
                message.extend_from_slice(&buffer[..n]);
                if output.send(message).is_err() {
                    return;
                }
            }
        }
    }
}

/// What one message from kubectl means (`None`: nothing for us).
fn parse_input(message: &[u8]) -> Option<Input> {
    let (&channel, payload) = message.split_first()?;
    match channel {
        0 => Some(Input::Data(payload.to_vec())),
        4 => {
            let size: serde_json::Value = serde_json::from_slice(payload).ok()?;
            let dimension = |key: &str| {
                size.get(key)
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|n| u16::try_from(n).ok())
            };
            Some(Input::Resize(dimension("Width")?, dimension("Height")?))
        }
        255 if payload.first() == Some(&0) => Some(Input::Close),
        _ => None,
    }
}

/// Runs `argv` in `target` with open streams, relaying them over `socket`, then sends the
/// status on channel 3 and closes the socket.
pub(super) async fn run(
    socket: WebSocket,
    helper: PathBuf,
    target: ExecTarget,
    argv: Vec<String>,
    stdin: bool,
    tty: bool,
) {
    let (ends, stdio) = match open_streams(stdin, tty) {
        Ok(opened) => opened,
        Err(error) => {
            let status = failure(&format!("cannot open the streams: {error}"), None);
            return send_status(socket, status).await;
        }
    };
    let started = {
        let argv = argv.clone();
        tokio::task::spawn_blocking(move || exec_start(&helper, &target, &argv, stdio, tty)).await
    };
    let running = match started {
        Ok(Ok(running)) => running,
        Ok(Err(error)) => return send_status(socket, failure(&error.to_string(), None)).await,
        Err(error) => return send_status(socket, failure(&error.to_string(), None)).await,
    };
    // Our copies of the command's ends are gone (the helper has them): end of file now means
    // the command and its children closed theirs.
    let (output_tx, mut output_rx) = mpsc::unbounded_channel();
    for (channel, file) in ends.outputs {
        let output = output_tx.clone();
        std::thread::spawn(move || read_output(channel, file, &output));
    }
    drop(output_tx);
    let (input_tx, input_rx) = std_mpsc::channel();
    let (input, terminal) = (ends.input, ends.terminal);
    std::thread::spawn(move || write_input(input, terminal.as_ref(), input_rx));
    let mut waiting = tokio::task::spawn_blocking(move || running.wait(EXEC_TIMEOUT));

    let (mut sink, mut stream) = socket.split();
    let mut exited = None;
    let mut output_open = true;
    let mut input_open = true;
    while exited.is_none() || output_open {
        tokio::select! {
            ended = &mut waiting, if exited.is_none() => exited = Some(ended),
            message = output_rx.recv(), if output_open => match message {
                Some(bytes) => {
                    if sink.send(Message::Binary(bytes.into())).await.is_err() {
                        output_open = false;
                    }
                }
                None => output_open = false,
            },
            message = stream.next(), if input_open => match message {
                Some(Ok(Message::Binary(bytes))) => {
                    if let Some(input) = parse_input(&bytes) {
                        let _ = input_tx.send(input);
                    }
                }
                Some(Ok(_)) => {}
                // kubectl went away: no more input; the command runs on to its end.
                Some(Err(_)) | None => input_open = false,
            },
        }
    }
    drop(input_tx);
    let status = match exited {
        Some(Ok(Ok((code, _)))) => exit_status(code, &argv),
        Some(Ok(Err(error))) => failure(&error.to_string(), None),
        Some(Err(error)) => failure(&error.to_string(), None),
        None => failure("the command's end was not seen", None),
    };
    if let Ok(socket) = sink.reunite(stream) {
        send_status(socket, status).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_messages_are_stdin_resize_and_close() {
        assert!(matches!(parse_input(b"\x00ls\n"), Some(Input::Data(d)) if d == b"ls\n"));
        assert!(matches!(
            parse_input(b"\x04{\"Width\":120,\"Height\":40}"),
            Some(Input::Resize(120, 40))
        ));
        assert!(matches!(parse_input(&[255, 0]), Some(Input::Close)));
        assert!(parse_input(&[255, 1]).is_none());
        assert!(parse_input(b"\x04not json").is_none());
        assert!(parse_input(&[]).is_none());
    }
}
