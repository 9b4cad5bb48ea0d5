//! Which keys and tables a TOML document has defined, for the rules that
//! make a syntactically fine document invalid: a key defined twice, a table
//! defined twice (`[a]` twice, or `[a]` after `a.b = 1`), a value or an
//! inline table extended (`a = 1` then `a.b = 2`), an array of tables
//! mixed with a table. The same decisions as `toml_edit`'s document
//! builder (`parser/document.rs`, `parser/inline_table.rs`), without the
//! document: one 16-byte entry per key, found by a keyed hash of (table,
//! key), so memory grows with the number of keys, not with their text.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// A table a key is defined in: the root, a `[header]`'s, an element of an
/// array of tables, an inline table, or one made by a dotted key or by a
/// header's path (`implicit`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Table {
    id: u32,
    implicit: bool,
}

/// What a key of a table holds.
#[derive(Debug, Clone, Copy)]
enum Item {
    /// A value (inline tables and arrays included): closed to extension.
    Value,
    Table {
        id: u32,
        implicit: bool,
        /// Made or extended by a dotted key: no `[header]` may define it.
        dotted: bool,
    },
    /// An array of tables: keys and headers go into its last element.
    Array { last: u32 },
}

/// Why a definition is not allowed.
pub(super) type Refusal = &'static str;

const DUPLICATE: Refusal = "the key is defined twice";
const EXTENDS_VALUE: Refusal = "a dotted key or table header cannot extend a value";

pub(super) struct Tables {
    items: HashMap<u64, Item, BuildHasherDefault<Prehashed>>,
    /// Keyed per reader: a file cannot be written to make keys collide.
    keys: RandomState,
    next: u32,
}

impl Tables {
    pub(super) fn new() -> Self {
        Tables { items: HashMap::default(), keys: RandomState::new(), next: 1 }
    }

    pub(super) const ROOT: Table = Table { id: 0, implicit: false };

    /// The hash of a decoded key segment.
    pub(super) fn key(&self, decoded: &[u8]) -> u64 {
        self.keys.hash_one(decoded)
    }

    /// A new inline table (a value: nothing outside it can extend it).
    pub(super) fn inline_table(&mut self) -> Table {
        Table { id: self.new_id(), implicit: false }
    }

    fn new_id(&mut self) -> u32 {
        self.next = self.next.wrapping_add(1);
        self.next
    }

    fn slot(&self, table: Table, key: u64) -> u64 {
        self.keys.hash_one((table.id, key))
    }

    /// The table `key` names inside `table`, made (implicit) if absent.
    fn descend(&mut self, table: Table, key: u64, dotted: bool) -> Result<Table, Refusal> {
        let slot = self.slot(table, key);
        match self.items.get_mut(&slot) {
            None => {
                let id = self.new_id();
                self.items.insert(slot, Item::Table { id, implicit: true, dotted });
                Ok(Table { id, implicit: true })
            }
            Some(Item::Array { last }) => Ok(Table { id: *last, implicit: false }),
            Some(Item::Table { id, implicit, dotted: was_dotted }) => {
                if dotted {
                    // A dotted key may only extend what dotted keys or a
                    // header's path made, never a table a header defined.
                    if !*implicit {
                        return Err(DUPLICATE);
                    }
                    *was_dotted = true;
                }
                Ok(Table { id: *id, implicit: *implicit })
            }
            Some(Item::Value) => Err(EXTENDS_VALUE),
        }
    }

    /// `path.key = value` inside `table`.
    pub(super) fn assign(&mut self, table: Table, path: &[u64], key: u64) -> Result<(), Refusal> {
        let mut parent = table;
        for &segment in path {
            parent = self.descend(parent, segment, true)?;
        }
        if !path.is_empty() && !parent.implicit {
            return Err(DUPLICATE);
        }
        let slot = self.slot(parent, key);
        match self.items.insert(slot, Item::Value) {
            None => Ok(()),
            Some(old) => {
                self.items.insert(slot, old);
                Err(DUPLICATE)
            }
        }
    }

    /// `[path.key]` (`array`: `[[path.key]]`): the table its keys go into.
    pub(super) fn header(&mut self, path: &[u64], key: u64, array: bool) -> Result<Table, Refusal> {
        let mut parent = Self::ROOT;
        for &segment in path {
            parent = self.descend(parent, segment, false)?;
        }
        let slot = self.slot(parent, key);
        let id = self.new_id();
        match (self.items.get_mut(&slot), array) {
            (None, false) => {
                self.items.insert(slot, Item::Table { id, implicit: false, dotted: false });
                Ok(Table { id, implicit: false })
            }
            (None, true) => {
                self.items.insert(slot, Item::Array { last: id });
                Ok(Table { id, implicit: false })
            }
            // Made by an earlier header's path: this header defines it.
            (Some(Item::Table { id, implicit: implicit @ true, dotted: false }), false) => {
                *implicit = false;
                Ok(Table { id: *id, implicit: false })
            }
            (Some(Item::Array { last }), true) => {
                *last = id;
                Ok(Table { id, implicit: false })
            }
            (Some(Item::Value), _) => Err(EXTENDS_VALUE),
            _ => Err(DUPLICATE),
        }
    }
}

/// The map's keys are already keyed hashes: used as they are.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
