//! External tools from `[processors.NAME]`: `{input}` and `{output}` in the
//! command are replaced by the source and a temporary output path; the tool
//! runs in its own process group, which is killed when `timeout` passes. Its
//! stderr is kept (the first [`STDERR_KEPT`] bytes; the rest is read and
//! dropped, so a chatty tool neither blocks nor fills memory) for the message.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{Input, Problem};
use crate::config::ExternalProcessor;

const STDERR_KEPT: usize = 16 * 1024;
const DEFAULT_TIMEOUT_SECS: f64 = 60.0;

pub(super) fn process(name: &str, p: &ExternalProcessor, input: &Input<'_>) -> Result<(), Problem> {
    let timeout = p.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(Problem::new(format!("processors.{name}.timeout must be a positive number of seconds")));
    }
    let arg = |a: &String| {
        a.replace("{input}", &input.source.to_string_lossy()).replace("{output}", &input.scratch.to_string_lossy())
    };
    let Some((program, args)) = p.command.split_first() else {
        return Err(Problem::new(format!("processors.{name}.command is empty")));
    };
    let mut cmd = Command::new(arg(program));
    cmd.args(args.iter().map(arg)).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some(root) = input.project.root().to_str() {
        cmd.current_dir(root);
    }
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    // Not installed, not executable: the machine's doing, tried again next run.
    let mut child =
        cmd.spawn().map_err(|e| Problem::new(format!("cannot run `{}`: {e}", arg(program))).of_machine())?;
    let pid = child.id();
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(err) = stderr.as_mut() {
            let mut buf = [0u8; 64 * 1024];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let room = STDERR_KEPT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
        kept
    });
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(Duration::from_secs_f64(timeout)) {
        Ok(status) => status,
        Err(_) => {
            kill_group(pid);
            let _ = waiter.join();
            let _ = reader.join();
            return Err(Problem::new(format!("`{name}` did not finish within {timeout} s; its processes were killed"))
                .of_machine());
        }
    };
    let _ = waiter.join();
    let kept = reader.join().unwrap_or_default();
    let status = status.map_err(|e| Problem::new(format!("`{name}`: {e}")).of_machine())?;
    if !status.success() {
        let text = String::from_utf8_lossy(&kept);
        let text = text.trim();
        let what = match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_owned(),
        };
        return Err(Problem::new(if text.is_empty() {
            format!("`{name}` {what}")
        } else {
            format!("`{name}` {what}: {text}")
        }));
    }
    match std::fs::metadata(input.scratch) {
        Ok(m) if m.is_file() => Ok(()),
        _ => Err(Problem::new(format!("`{name}` succeeded but wrote no file at {{output}}"))),
    }
}

#[cfg(unix)]
fn kill_group(pid: u32) {
    // SAFETY: sends a signal; the group is the tool's own (process_group(0)).
    unsafe {
        libc::kill(-(pid as i32), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_pid: u32) {}
