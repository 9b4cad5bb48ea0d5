//! The hand-written readers against the real parsers they stand in for, on
//! thousands of generated inputs per run: valid documents from a grammar of
//! each format, and the same documents mutated (bytes deleted, inserted,
//! duplicated, the text cut short). A seeded generator, so a failure names
//! the seed and case that reproduce it.
//!
//! - JSON scanner vs `serde_json`: valid ⇔ no syntax error, and for valid
//!   input the candidate strings found are exactly the string values
//!   `serde_json` reads, in order, each range covering exactly the string.
//! - glTF: the URIs are exactly `images[*].uri` and `buffers[*].uri`.
//! - RON lexer vs `ron`: `ron` accepts ⇒ no syntax error and the same
//!   string values (map keys never); a syntax error ⇒ `ron` rejects.
//! - `.meta` fast path vs `toml_edit`: whenever the fast path answers, the
//!   answer equals the full parser's.
//! - TOML data-file reader vs `toml_edit`: valid ⇔ no syntax error, and for
//!   valid input the same candidate strings with the same ranges.

#[path = "differential_readers/generator.rs"]
mod generator;
#[path = "differential_readers/json.rs"]
mod json;
#[path = "differential_readers/meta_fast.rs"]
mod meta_fast;
#[path = "differential_readers/oracle.rs"]
mod oracle;
#[path = "differential_readers/ron_lexer.rs"]
mod ron_lexer;
#[path = "differential_readers/toml_reader.rs"]
mod toml_reader;

/// Cases per format per run.
const CASES: usize = 4000;
const SEED: u64 = 0x5eed_a55e_7001;
