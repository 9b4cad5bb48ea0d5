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
                                // The block before never ended: a new one
                                // starts at this line.
                                self.state = State::Headers { length: None, any: false };
                                return Some(Event::Fault("a second Content-Length header".into()));
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
                State::Body { length, checked, scan } => match scan_body(scan, input, *checked, *length as u64) {
                    BodyEnd::Cut(cut) => {
                        let length = *length;
                        self.start += cut;
                        self.state = State::Headers { length: None, any: false };
                        return Some(Event::Fault(format!(
                            "a message announced {length} bytes but the next one started after {cut}; dropped"
                        )));
                    }
                    BodyEnd::Complete => {
                        let length = *length;
                        let body = input[..length].to_vec();
                        self.start += length;
                        self.state = State::Headers { length: None, any: false };
                        return Some(Event::Message(body));
                    }
                    BodyEnd::NeedMore(keep) => {
                        *checked = keep;
                        return None;
                    }
                },
                State::Skip { left, scan } => match scan_body(scan, input, 0, *left) {
                    BodyEnd::Cut(at) => {
                        self.start += at;
                        self.state = State::Headers { length: None, any: false };
                        return Some(Event::Fault(
                            "the message over the limit ended early: a new message started inside it".into(),
                        ));
                    }
                    BodyEnd::Complete => {
                        // Complete means all of it is here, so it fits `usize`.
                        self.start += *left as usize;
                        self.state = State::Headers { length: None, any: false };
                    }
                    BodyEnd::NeedMore(keep) => {
                        // Skipped bytes are dropped as they go.
                        self.start += keep;
                        *left -= keep as u64;
                        return None;
                    }
                },
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

/// How a body's bytes end, as far as they have arrived.
enum BodyEnd {
    /// The next message's header starts at this offset, inside the body:
    /// the announced length was wrong.
    Cut(usize),
    /// The body is all here and whole.
    Complete,
    /// More input is needed; scanning goes on from this offset.
    NeedMore(usize),
}

/// Scans the body `input[..length]` from `from` for the next message's
/// header. A header that may have begun inside the body but is only
/// confirmed by bytes after it (a length a few bytes too long) is waited
/// for; that never delays a valid JSON body, which cannot end in the
/// middle of a header.
fn scan_body(scan: &mut HeaderScan, input: &[u8], from: usize, length: u64) -> BodyEnd {
    let limit = length.saturating_add((LENGTH_HEADER.len() + CANDIDATE_REACH) as u64);
    // At most the input's length, so it fits `usize`.
    let here = (input.len() as u64).min(limit) as usize;
    match scan.scan(&input[from..here]) {
        Err(at) if ((from + at) as u64) < length => BodyEnd::Cut(from + at),
        // A header at or after the end: the body was whole.
        Err(_) => BodyEnd::Complete,
        Ok(safe) => {
            let keep = from + safe;
            let all_here = input.len() as u64 >= length;
            if all_here && (keep as u64 >= length || here as u64 == limit) {
                BodyEnd::Complete
            } else {
                BodyEnd::NeedMore(keep)
            }
        }
    }
}

/// `Ok(Some(n))` for a `Content-Length: n` line, `Ok(None)` for any other
/// well-formed header line (`Content-Type` and unknown ones are ignored).
fn header_length(line: &[u8]) -> Result<Option<u64>, String> {
    let shown = || String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Err(format!("a header line without a colon: {:?}", shown()));
    };
    if find_length_header(&line[1..]).is_some() {
        // Garbage before a real header on the same line: resynchronising
        // one byte further finds it.
        return Err(format!("a header line holding another Content-Length: {:?}", shown()));
    }
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

/// How far after a `Content-Length:` seen inside a string its line may end
/// for it to count as a header (room for spaces and a 20-digit length).
const CANDIDATE_REACH: usize = 48;

/// Scans a body for the next message's header, across pushes: a
/// `Content-Length:` outside JSON strings, or one inside what looked like a
/// string whose line then ends (a raw line break is never inside a valid
/// JSON string, so the string was garbage, the header real).
#[derive(Default)]
struct HeaderScan {
    in_string: bool,
    escaped: bool,
    /// How many bytes of `LENGTH_HEADER` the bytes so far end with.
    matched: usize,
    /// A `Content-Length:` seen inside a string: its start in the current
    /// slice, and how many bytes came after it.
    candidate: Option<(usize, usize)>,
}

impl HeaderScan {
    /// Scans `bytes`: `Err(i)` if a header starts at `i`; otherwise
    /// `Ok(n)`: the next scan must start at `bytes[n]` (a possible header at
    /// the end is left for it, to be scanned again whole).
    fn scan(&mut self, bytes: &[u8]) -> Result<usize, usize> {
        for (i, &b) in bytes.iter().enumerate() {
            if let Some((_, after)) = &mut self.candidate {
                *after += 1;
                if *after > CANDIDATE_REACH {
                    self.candidate = None;
                }
            }
            if b.eq_ignore_ascii_case(&LENGTH_HEADER[self.matched]) {
                self.matched += 1;
                if self.matched == LENGTH_HEADER.len() {
                    self.matched = 0;
                    let start = i + 1 - LENGTH_HEADER.len();
                    if !self.in_string {
                        return Err(start);
                    }
                    self.candidate = Some((start, 0));
                }
            } else {
                // Only the header's first letter can restart a match: it
                // occurs nowhere else in the header.
                self.matched = usize::from(b.eq_ignore_ascii_case(&LENGTH_HEADER[0]));
            }
            if !self.in_string {
                self.in_string = b == b'"';
                continue;
            }
            match (self.escaped, b) {
                (true, _) => self.escaped = false,
                (false, b'\\') => self.escaped = true,
                (false, b'"') => {
                    self.in_string = false;
                    self.candidate = None;
                }
                (false, b'\r' | b'\n') => {
                    if let Some((start, _)) = self.candidate {
                        return Err(start);
                    }
                    // Not JSON: the best guess is that no string is open.
                    self.in_string = false;
                }
                _ => {}
            }
        }
        // Rescanning from a header's letters gives the same answer: they
        // hold no quote, backslash or line break, so the string state
        // before them is the state now (an escape before the first letter
        // is used up by it either way).
        let partial = bytes.len() - self.matched;
        let keep_from = self.candidate.map_or(partial, |(start, _)| start.min(partial));
        self.matched = 0;
        self.candidate = None;
        Ok(keep_from)
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
                Event::Message(b) => Some(String::from_utf8_lossy(&b).into_owned()),
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
            "\u{1}\u{2}garbage without a colon\r\n\r\n",
            "no line end at all: \u{7f}\u{0}\u{ff}",
        ] {
            let input = [bad.to_owned(), frame(OK)].concat();
            assert_eq!(messages(input.as_bytes(), 1000), (vec![OK.into()], 1), "after {bad:?}");
        }
    }

    #[test]
    fn a_second_content_length_starts_a_new_message() {
        let input = ["Content-Length: 9\r\nContent-Length: 2\r\n\r\n{}".to_owned(), frame(OK)].concat();
        assert_eq!(messages(input.as_bytes(), 1000), (vec!["{}".into(), OK.into()], 1));
    }

    #[test]
    fn a_length_a_few_bytes_too_long_does_not_eat_the_next_header() {
        let input = ["Content-Length: 10\r\n\r\n{\"a\":1}".to_owned(), frame(OK)].concat();
        assert_eq!(messages(input.as_bytes(), 1000), (vec![OK.into()], 1));
        let in_a_string = ["Content-Length: 30\r\n\r\n{\"a\":\"".to_owned(), frame(OK)].concat();
        assert_eq!(messages(in_a_string.as_bytes(), 1000), (vec![OK.into()], 1));
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
    fn any_input_frames_the_same_in_any_pieces_and_the_next_message_survives() {
        // Streams built from the pieces that matter to the framer, from a
        // fixed pseudo-random sequence.
        const PIECES: [&str; 12] =
            ["Content-Length: ", "content-length:", "7", "40", "\r\n", "\n", "{", "}", "\"", "\\", "x", "\u{ff}"];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        for _ in 0..2000 {
            let mut input = String::new();
            for _ in 0..next(60) {
                input.push_str(PIECES[next(PIECES.len())]);
            }
            // Whatever came before, a message announced past the end of the
            // garbage, or a body cut short, ends where a header starts.
            input.push_str(&frame(OK));
            let (bodies, _) = messages(input.as_bytes(), 64);
            assert_eq!(bodies.last().map(String::as_str), Some(OK), "{input:?}");
        }
    }

    #[test]
    fn a_header_line_without_end_is_bounded() {
        let input = ["C".repeat(MAX_HEADER_LINE * 3), frame(OK)].concat();
        let (bodies, faults) = messages(input.as_bytes(), 1000);
        assert_eq!((bodies, faults), (vec![OK.into()], 1));
    }
}
