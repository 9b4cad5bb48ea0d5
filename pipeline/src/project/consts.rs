//! The const index: which code files use a const as an asset path without
//! defining it, and which files define a const of that name they do not use
//! themselves. A const's string is a reference only while some file uses
//! it, so a change to one code file re-resolves the files that define the
//! names it uses (through this index), never by re-reading the crate.

use rustc_hash::FxHashMap as HashMap;

use super::index::{OneOrMany, push_id, remove_id};
use super::{Dirty, FileId, Project};
use crate::diagnostic::Related;
use crate::text::TextRange;

#[derive(Default)]
pub(super) struct ConstIndex {
    /// Const name → files that use it as a path without defining it.
    users: HashMap<Box<str>, OneOrMany<FileId>>,
    /// Const name → files that define it without using it as a path.
    definers: HashMap<Box<str>, OneOrMany<FileId>>,
}

impl ConstIndex {
    fn users(&self, name: &str) -> &[FileId] {
        self.users.get(name).map_or(&[], OneOrMany::as_slice)
    }

    fn definers(&self, name: &str) -> &[FileId] {
        self.definers.get(name).map_or(&[], OneOrMany::as_slice)
    }
}

/// The distinct names of a file's remote uses and of its unused consts.
fn names(p: &Project, id: FileId) -> (Vec<Box<str>>, Vec<Box<str>>) {
    let Some(links) = p.file(id).and_then(|f| f.loaded.code()) else { return Default::default() };
    let mut used: Vec<Box<str>> = links.remote.iter().map(|(n, _)| n.clone()).collect();
    let mut defined: Vec<Box<str>> = links.defs.iter().map(|(_, n)| n.clone()).collect();
    used.sort();
    used.dedup();
    defined.sort();
    defined.dedup();
    (used, defined)
}

impl Project {
    /// Adds a code file's const uses and definitions to the index. The
    /// definers of every name it uses are dirty: their strings may become
    /// references, and their related information names this file's uses.
    pub(super) fn register_consts(&mut self, id: FileId, dirty: &mut Dirty) {
        let (used, defined) = names(self, id);
        for name in used {
            if !dirty.bulk {
                dirty.files.extend(self.consts.definers(&name).iter().copied());
            }
            push_id(&mut self.consts.users, name, id);
        }
        for name in defined {
            push_id(&mut self.consts.definers, name, id);
        }
    }

    pub(super) fn unregister_consts(&mut self, id: FileId, dirty: &mut Dirty) {
        let (used, defined) = names(self, id);
        for name in used {
            dirty.files.extend(self.consts.definers(&name).iter().copied());
            remove_id(&mut self.consts.users, &name, id);
        }
        for name in defined {
            remove_id(&mut self.consts.definers, &name, id);
        }
    }

    /// Whether reference `index` of file `id` counts: true unless it is the
    /// string of a const that no file uses as a path.
    pub(super) fn const_in_use(&self, id: FileId, index: usize) -> bool {
        let Some(links) = self.file(id).and_then(|f| f.loaded.code()) else { return true };
        let mut names = links.def_names(index).peekable();
        if names.peek().is_none() {
            return true;
        }
        names.any(|n| self.consts.users(n).iter().any(|u| *u != id))
    }

    /// The const strings a name used as a path at `offset` in code file `id`
    /// stands for: (file, reference index), in this file or, for a const
    /// of another file, in the files that define it.
    /// Each with the range of the name at `offset`.
    pub(crate) fn const_strings_at(&self, id: FileId, offset: u32) -> Vec<(FileId, usize, TextRange)> {
        let Some(links) = self.file(id).and_then(|f| f.loaded.code()) else { return Vec::new() };
        let here = links.uses.iter().filter(|(_, at)| at.contains_inclusive(offset));
        let mut out: Vec<(FileId, usize, TextRange)> = here.map(|(i, at)| (id, *i as usize, *at)).collect();
        for (name, at) in links.remote.iter().filter(|(_, at)| at.contains_inclusive(offset)) {
            for &def in self.consts.definers(name) {
                let Some(dl) = self.file(def).and_then(|f| f.loaded.code()) else { continue };
                out.extend(dl.defs.iter().filter(|(_, n)| n == name).map(|(i, _)| (def, *i as usize, *at)));
            }
        }
        out
    }

    /// Where the string of reference `index` of file `id` is used through
    /// its const: in the file itself, and in the files that use the const.
    pub(crate) fn const_uses(&self, id: FileId, index: usize) -> Vec<Related> {
        let Some(file) = self.file(id) else { return Vec::new() };
        let Some(links) = file.loaded.code() else { return Vec::new() };
        let here = links.uses.iter().filter(|(i, _)| *i as usize == index);
        let mut out: Vec<Related> = here
            .map(|(_, range)| Related {
                path: file.path.to_string(),
                range: *range,
                message: "used as an asset path here".to_owned(),
            })
            .collect();
        for name in links.def_names(index) {
            for &user in self.consts.users(name) {
                let Some(uf) = self.file(user).filter(|_| user != id) else { continue };
                let Some(ul) = uf.loaded.code() else { continue };
                for (_, range) in ul.remote.iter().filter(|(n, _)| **n == *name) {
                    out.push(Related {
                        path: uf.path.to_string(),
                        range: *range,
                        message: format!("`{name}` is used as an asset path here"),
                    });
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path).then(a.range.cmp(&b.range)));
        out
    }
}
