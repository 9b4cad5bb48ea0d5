//! The server's input: stdin, with malformed messages dropped before they
//! reach tower-lsp-server.
//!
//! Its reader ends the whole input stream at the first frame whose body is
//! not JSON, so one garbled message would silently stop the server. This
//! filter frames messages itself, passes well-formed ones on through a pipe
//! and reports the rest on stderr.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;

/// Starts the filter thread; returns the filtered input for the server.
/// Must run inside the Tokio runtime (the pipe registers with its reactor).
pub fn filtered_stdin() -> std::io::Result<tokio::net::unix::pipe::Receiver> {
    let (reader, writer) = std::io::pipe()?;
    std::thread::Builder::new()
        .name("assetry-stdin".into())
        .spawn(move || forward(BufReader::new(std::io::stdin().lock()), writer))?;
    tokio::net::unix::pipe::Receiver::from_owned_fd(OwnedFd::from(reader))
}

/// Copies well-formed frames from `input` to `output` until either side
/// closes.
fn forward(mut input: impl BufRead, mut output: impl Write) {
    loop {
        let length = match read_headers(&mut input) {
            Ok(Some(length)) => length,
            Ok(None) => return,
            Err(err) => {
                eprintln!("assetry lsp: skipping a malformed message header: {err}");
                continue;
            }
        };
        let mut body = vec![0; length];
        if input.read_exact(&mut body).is_err() {
            return;
        }
        if let Err(err) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
            eprintln!("assetry lsp: skipping a message that is not JSON: {err}");
            continue;
        }
        let header = format!("Content-Length: {length}\r\n\r\n");
        if output.write_all(header.as_bytes()).and_then(|()| output.write_all(&body)).is_err() {
            return;
        }
        // Flushing per message keeps latency low; the pipe itself is unbuffered.
        let _ = output.flush();
    }
}

/// Reads one header block; `Ok(None)` at end of input.
fn read_headers(input: &mut impl BufRead) -> Result<Option<usize>, String> {
    let mut length = None;
    let mut saw_any = false;
    loop {
        let mut line = Vec::new();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !saw_any {
                // Stray blank line between messages.
                continue;
            }
            return length.map(Some).ok_or_else(|| "no Content-Length".to_owned());
        }
        saw_any = true;
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = Some(value.trim().parse::<usize>().map_err(|e| format!("bad Content-Length: {e}"))?);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn drops_bodies_that_are_not_json_and_keeps_the_rest() {
        let input = [frame("{\"a\":1}"), frame("{\"a\": "), "Content-Length: x\r\n\r\n".into(), frame("[2]")].concat();
        let mut out = Vec::new();
        forward(input.as_bytes(), &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), [frame("{\"a\":1}"), frame("[2]")].concat());
    }
}
