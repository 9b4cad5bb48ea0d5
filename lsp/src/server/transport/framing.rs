//! LSP base-protocol framing of the client's byte stream, for any bytes.
//!
//! A message is ASCII header lines (`Name: value`, ended by `\r\n`), a blank
//! line, then exactly `Content-Length` bytes of body. The framer never
//! allocates what a header announces: a body is kept only as its bytes
//! arrive, and one over the limit is discarded as it streams past. After any
//! fault it resynchronises on the next `Content-Length:` header.
//!
//! A body announced longer than it is would swallow the messages after it.
//! It is caught by a property of JSON: outside a string, `Content-Length:`
//! can never occur, and inside one a raw line break cannot, so a
//! `Content-Length:` met outside a JSON string while a body is read or
//! skipped is the next message's header, and the body was not what its
//! header said.

/// The largest message body accepted: 64 MiB. A bigger one is skipped (and
/// reported) without being stored. An editor sends a whole file's text in
/// `didOpen`, so this bounds the size of a file the server can see open.
pub const MAX_MESSAGE_BYTES: u64 = 64 << 20;

/// The longest header line; real ones (`Content-Type: application/vscode-jsonrpc;
/// charset=utf-8`) are far shorter.
const MAX_HEADER_LINE: usize = 4096;

/// The header that starts every message, matched ignoring ASCII case.
const LENGTH_HEADER: &[u8] = b"content-length:";

/// What the framer found in the input.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// A message body of exactly the announced length (not yet known to be
    /// JSON).
    Message(Vec<u8>),
    /// Input that is not a well-formed message, described for the log;
    /// nothing is to be answered.
    Fault(String),
}

/// Splits pushed bytes into messages; see the module documentation.
pub struct Framer {
    /// Input not consumed yet is `buffer[start..]`.
    buffer: Vec<u8>,
    start: usize,
    state: State,
    max_body: u64,
}

enum State {
    /// Reading header lines; `length` once `Content-Length` was seen,
    /// `any` once any header line was.
    Headers { length: Option<u64>, any: bool },
    /// Collecting a body of `length` bytes, of which the first `checked`
    /// were scanned for a header by `scan`.
    Body { length: usize, checked: usize, scan: HeaderScan },
    /// Discarding the `left` remaining bytes of a body over the limit.
    Skip { left: u64, scan: HeaderScan },
    /// After a fault: discarding input up to the next `Content-Length:`.
    Resync,
}

impl Framer {
    pub fn new(max_body: u64) -> Framer {
        Framer { buffer: Vec::new(), start: 0, state: State::Headers { length: None, any: false }, max_body }
    }

    /// Appends input read from the client.
    pub fn push(&mut self, bytes: &[u8]) {
        // Consumed input is dropped here, not per message, so a long body is
        // never moved while it arrives.
        self.buffer.drain(..self.start);
        self.start = 0;
        self.buffer.extend_from_slice(bytes);
    }

    /// The next message or fault in the input pushed so far, or `None` when
    /// more input is needed.
    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            let input = &self.buffer[self.start..];
            match &mut self.state {
                State::Headers { length, any } => {
                    let Some(end) = input.iter().take(MAX_HEADER_LINE + 1).position(|&b| b == b'\n') else {
                        if input.len() > MAX_HEADER_LINE {
                            return Some(self.fault_at(0, "a header line longer than 4096 bytes".into()));
                        }
                        return None;
                    };
                    let line = input[..end].strip_suffix(b"\r").unwrap_or(&input[..end]);
                    if !line.is_empty() {
                        match header_length(line) {
                            Ok(None) => {}
                            Ok(Some(_)) if length.is_some() => {
                                return Some(self.fault_at(0, "a second Content-Length header".into()));
                            }
                            Ok(Some(value)) => *length = Some(value),
                            Err(why) => return Some(self.fault_at(0, why)),
                        }
                        *any = true;
                        self.start += end + 1;
                        continue;
                    }
                    self.start += end + 1;
                    // A blank line before any header is a stray line break
                    // between messages.
                    if !*any {
                        continue;
                    }
                    match *length {
                        None => {
                            self.state = State::Resync;
                            return Some(Event::Fault("a message without a Content-Length header".into()));
                        }
                        Some(length) if length > self.max_body => {
                            self.state = State::Skip { left: length, scan: HeaderScan::default() };
                            return Some(Event::Fault(format!(
                                "a message of {length} bytes is over the limit of {} bytes; skipped",
                                self.max_body
                            )));
                        }
                        // At most `max_body`, which is small enough for `usize`.
                        Some(length) => {
                            self.state =
                                State::Body { length: length as usize, checked: 0, scan: HeaderScan::default() }
                        }
                    }
                }
                State::Body { length, checked, scan } => {
                    let length = *length;
                    let here = input.len().min(length);
                    match scan.scan(&input[*checked..here]) {
                        Err(at) => {
                            let cut = *checked + at;
                            self.start += cut;
                            self.state = State::Headers { length: None, any: false };
                            return Some(Event::Fault(format!(
                                "a message announced {length} bytes but the next one started after {cut}; dropped"
                            )));
                        }
                        Ok(_) if here == length => {
                            let body = input[..length].to_vec();
                            self.start += length;
                            self.state = State::Headers { length: None, any: false };
                            return Some(Event::Message(body));
                        }
                        Ok(safe) => {
                            *checked += safe;
                            return None;
                        }
                    }
                }
                State::Skip { left, scan } => {
                    // `here` is at most the input's length, so it fits `usize`.
                    let here = (input.len() as u64).min(*left) as usize;
                    let whole_rest = here as u64 == *left;
                    match scan.scan(&input[..here]) {
                        Err(at) => {
                            self.start += at;
                            self.state = State::Headers { length: None, any: false };
                            return Some(Event::Fault(
                                "the message over the limit ended early: a new message started inside it".into(),
                            ));
                        }
                        Ok(_) if whole_rest => {
                            self.start += here;
                            self.state = State::Headers { length: None, any: false };
                        }
                        Ok(safe) => {
                            self.start += safe;
                            *left -= safe as u64;
                            return None;
                        }
                    }
                }
                State::Resync => match find_length_header(input) {
                    Some(at) => {
                        self.start += at;
                        self.state = State::Headers { length: None, any: false };
                    }
                    None => {
                        // Keep a tail that may be the beginning of the header.
                        self.start += input.len().saturating_sub(LENGTH_HEADER.len() - 1);
                        return None;
                    }
                },
            }
        }
    }

    /// Reports a fault in the header line at `self.start + offset` and
    /// resynchronises after that line's first byte (the line may itself
    /// hold the next header, after garbage).
    fn fault_at(&mut self, offset: usize, why: String) -> Event {
        self.start += offset + 1;
        self.state = State::Resync;
        Event::Fault(why)
    }
}

/// `Ok(Some(n))` for a `Content-Length: n` line, `Ok(None)` for any other
/// well-formed header line (`Content-Type` and unknown ones are ignored).
fn header_length(line: &[u8]) -> Result<Option<u64>, String> {
    let shown = || String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Err(format!("a header line without a colon: {:?}", shown()));
    };
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    let is_token = |b: &u8| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(b);
    if name.is_empty()
        || !name.iter().all(is_token)
        || !value.iter().all(|b| b.is_ascii() && !b.is_ascii_control() || *b == b'\t')
    {
        return Err(format!("a malformed header line: {:?}", shown()));
    }
    if !name.eq_ignore_ascii_case(&LENGTH_HEADER[..LENGTH_HEADER.len() - 1]) {
        return Ok(None);
    }
    let digits = value.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(format!("a Content-Length that is not a length: {:?}", shown()));
    }
    // A length beyond u64 is over any limit: saturate instead of failing.
    Ok(Some(digits.iter().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')))))
}

/// Where `Content-Length:` (any case) first occurs in `input`.
fn find_length_header(input: &[u8]) -> Option<usize> {
    input.windows(LENGTH_HEADER.len()).position(|w| w.eq_ignore_ascii_case(LENGTH_HEADER))
}

/// Scans a body for `Content-Length:` outside JSON strings, across pushes.
#[derive(Default)]
struct HeaderScan {
    in_string: bool,
    escaped: bool,
    /// How many bytes of `LENGTH_HEADER` the input ends with.
    matched: usize,
}

impl HeaderScan {
    /// Scans `bytes`: `Err(i)` if a header starts at `i`; otherwise
    /// `Ok(n)`: the next scan must start at `bytes[n]` (a possible header's
    /// beginning at the end is left for it, to be scanned again whole).
    fn scan(&mut self, bytes: &[u8]) -> Result<usize, usize> {
        for (i, &b) in bytes.iter().enumerate() {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            if b == b'"' {
                self.in_string = true;
                self.matched = 0;
            } else if b.eq_ignore_ascii_case(&LENGTH_HEADER[self.matched]) {
                self.matched += 1;
                if self.matched == LENGTH_HEADER.len() {
                    return Err(i + 1 - LENGTH_HEADER.len());
                }
            } else {
                // Only the header's first letter can restart a match: it
                // occurs nowhere else in the header.
                self.matched = usize::from(b.eq_ignore_ascii_case(&LENGTH_HEADER[0]));
            }
        }
        // The matched bytes hold no quote, so the string state before them
        // is the state now: scanning them again gives the same answer.
        let safe = bytes.len() - self.matched;
        self.matched = 0;
        Ok(safe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// Every event for `input`, pushed in pieces of `piece` bytes.
    fn events(input: &[u8], piece: usize, max_body: u64) -> Vec<Event> {
        let mut framer = Framer::new(max_body);
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            framer.push(chunk);
            while let Some(event) = framer.next_event() {
                out.push(event);
            }
        }
        out
    }

    /// The messages found, the same whatever the input's chunking, and the
    /// number of faults.
    fn messages(input: &[u8], max_body: u64) -> (Vec<String>, usize) {
        let whole = events(input, input.len().max(1), max_body);
        for piece in [1, 2, 3, 7, 64] {
            assert_eq!(events(input, piece, max_body), whole, "pieces of {piece}");
        }
        let faults = whole.iter().filter(|e| matches!(e, Event::Fault(_))).count();
        let bodies = whole
            .into_iter()
            .filter_map(|e| match e {
                Event::Message(b) => Some(String::from_utf8(b).unwrap()),
                Event::Fault(_) => None,
            })
            .collect();
        (bodies, faults)
    }

    const OK: &str = r#"{"jsonrpc":"2.0","id":1,"method":"x"}"#;

    #[test]
    fn frames_well_formed_messages_with_any_header_case_and_content_type() {
        let input = [
            frame(OK),
            "content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}".into(),
            "\r\n".into(),
            frame("[1]"),
        ]
        .concat();
        assert_eq!(messages(input.as_bytes(), 1000), (vec![OK.into(), "{}".into(), "[1]".into()], 0));
    }

    #[test]
    fn resynchronises_after_each_kind_of_bad_header() {
        for bad in [
            "Content-Length: 12x\r\n\r\n{}",
            "Content-Length: -5\r\n\r\n{}",
            "Content-Length: \r\n\r\n{}",
            "Content-Type: text/plain\r\n\r\n{\"a\":1}",
            "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
            "\u{1}\u{2}garbage without a colon\r\n\r\n",
            "no line end at all: \u{7f}\u{0}\u{ff}",
        ] {
            let input = [bad.to_owned(), frame(OK)].concat();
            let (bodies, faults) = messages(input.as_bytes(), 1000);
            assert_eq!(bodies, [OK], "after {bad:?}");
            assert!(faults >= 1, "{bad:?} is reported");
        }
    }

    #[test]
    fn a_length_longer_than_the_body_stops_at_the_next_header() {
        let input = ["Content-Length: 500\r\n\r\n{\"text\":\"Content-Length: 3\"}".to_owned(), frame(OK)].concat();
        assert_eq!(messages(input.as_bytes(), 1000), (vec![OK.into()], 1));
    }

    #[test]
    fn a_length_shorter_than_the_body_gives_a_cut_body_then_resynchronises() {
        let input = ["Content-Length: 5\r\n\r\n{\"a\":1, \"b\":2}".to_owned(), frame(OK)].concat();
        assert_eq!(messages(input.as_bytes(), 1000), (vec!["{\"a\":".into(), OK.into()], 1));
    }

    #[test]
    fn a_body_over_the_limit_is_skipped_unless_a_header_shows_it_was_shorter() {
        let big = format!("{{\"text\":\"{}Content-Length: 3\\r\\n\"}}", "x".repeat(300));
        let input = [frame(&big), frame(OK)].concat();
        assert_eq!(messages(input.as_bytes(), 100), (vec![OK.into()], 1));
        let lie = ["Content-Length: 1000000000000000000000\r\n\r\n".to_owned(), frame(OK)].concat();
        assert_eq!(messages(lie.as_bytes(), 100), (vec![OK.into()], 2));
    }

    #[test]
    fn a_header_line_without_end_is_bounded() {
        let input = ["C".repeat(MAX_HEADER_LINE * 3), frame(OK)].concat();
        let (bodies, faults) = messages(input.as_bytes(), 1000);
        assert_eq!((bodies, faults), (vec![OK.into()], 1));
    }
}
