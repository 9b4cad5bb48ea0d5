//! The seeded generator every format's cases come from.

pub(crate) struct Gen {
    pub(crate) rng: fastrand::Rng,
}

/// String contents worth having: paths, ids, names, numbers-as-text, and
/// the characters the rules and the escapes care about.
pub(crate) const PIECES: &[&str] = &[
    "textures/hero.png",
    "a.png",
    "../b c.ogg",
    "scenes/x.scene.json#Mesh0",
    "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11",
    "hello world",
    "v2.0",
    "1.5",
    "https://x.org/a.png",
    "data:image/png;base64,AA",
    "é",
    "😀",
    "\u{a0}",
    "\u{85}",
    " ",
    ".",
    "/",
    "#",
    ":",
    "\"",
    "\\",
    "\t",
    "\u{7f}",
    "'",
    "{",
    "]",
    "//",
    "/*",
    "*/",
    "uri",
];

impl Gen {
    pub(crate) fn new(seed: u64) -> Self {
        Gen { rng: fastrand::Rng::with_seed(seed) }
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.usize(..items.len())]
    }

    pub(crate) fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.rng.usize(..items.len())]
    }

    /// The first item (the usual one) half the time, else any.
    pub(crate) fn usual<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        if self.rng.bool() { &items[0] } else { self.pick(items) }
    }

    /// A string's decoded value.
    pub(crate) fn value_text(&mut self) -> String {
        (0..self.rng.usize(0..4)).map(|_| *self.pick(PIECES)).collect()
    }

    /// A random edit of `text` (on character boundaries).
    pub(crate) fn mutate(&mut self, text: &str, tokens: &[&str]) -> String {
        let mut t = text.to_owned();
        for _ in 0..self.rng.usize(1..3) {
            let at = self.boundary(&t);
            match self.rng.u8(0..5) {
                0 => {
                    let n = self.rng.usize(1..4);
                    let end = t[at..].char_indices().nth(n).map_or(t.len(), |(i, _)| at + i);
                    t.replace_range(at..end, "");
                }
                1 => {
                    let tok = *self.pick(tokens);
                    t.insert_str(at, tok);
                }
                2 => t.truncate(at),
                3 => {
                    let end = t[at..].char_indices().nth(1).map_or(t.len(), |(i, _)| at + i);
                    let piece = t[at..end].to_owned();
                    t.insert_str(at, &piece);
                }
                _ => {
                    let end = t[at..].char_indices().nth(1).map_or(t.len(), |(i, _)| at + i);
                    let tok = *self.pick(tokens);
                    t.replace_range(at..end, tok);
                }
            }
        }
        t
    }

    pub(crate) fn boundary(&mut self, t: &str) -> usize {
        let mut at = self.rng.usize(0..=t.len());
        while !t.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}
