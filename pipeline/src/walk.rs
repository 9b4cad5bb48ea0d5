//! The parallel folder walk under the scan: a pool of threads that list
//! folders and hand each file that belongs to the project, with a
//! descriptor of its folder, to a visitor.
//!
//! Written for the scan rather than taken from the `ignore` crate's walker,
//! which builds a path, a directory entry and an ignore-matcher lookup per
//! entry and opens files by their full path: on 200,000 files its own work
//! was a fifth of a warm scan. Here a file costs one `openat` against its
//! folder's descriptor, and matching runs only below an ignore file.
//!
//! Which entries belong to the project is decided by [`crate::rules`], as
//! for single paths and the watcher.
//!
//! Symbolic links are followed inside the project only ([`LinkPolicy`]): a
//! link to a folder that contains the project (`..`, `/`) or to a folder
//! being walked is a loop; a link to a folder outside the project is not
//! followed (the project's files are what is in its folder); nothing is
//! read under `/proc`, `/sys` or `/dev`, whose contents change from one read
//! to the next. Each skipped link is reported, so the result is the same on
//! every machine and never depends on what lies outside the project.

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use ignore::gitignore::Gitignore;

use crate::rules::{IGNORE_FILES, Matchers, folder_matcher, is_skipped_name, matchers_above, too_long_finding};

/// Pseudo file systems: their files change between two reads (or never
/// end), so a link into them is never followed, file or folder.
const PSEUDO_FILE_SYSTEMS: &[&str] = &["/proc", "/sys", "/dev"];

/// Where a symbolic link found by the walk may lead.
pub(crate) struct LinkPolicy {
    /// The project folder with every link resolved; `None` when it cannot be
    /// resolved (then only the pseudo file systems are refused).
    project: Option<PathBuf>,
}

impl LinkPolicy {
    pub(crate) fn new(project_root: &Path) -> LinkPolicy {
        LinkPolicy { project: std::fs::canonicalize(project_root).ok() }
    }

    /// Why the link at `link` must not be followed, or `None` to follow it.
    /// Links are rare, so resolving each one in full costs nothing measurable.
    fn refuse(&self, link: &Path, is_dir: bool) -> Option<String> {
        let target = match std::fs::canonicalize(link) {
            Ok(t) => t,
            Err(e) => return Some(format!("{}: {e}; not followed", link.display())),
        };
        if PSEUDO_FILE_SYSTEMS.iter().any(|p| target.starts_with(p)) {
            return Some(format!(
                "{}: a symbolic link to {}, on a pseudo file system; not followed",
                link.display(),
                target.display()
            ));
        }
        let project = self.project.as_deref()?;
        if !is_dir {
            return None;
        }
        if project.starts_with(&target) {
            return Some(format!(
                "{}: a symbolic link to {}, which contains the project (a loop); not followed",
                link.display(),
                target.display()
            ));
        }
        if !target.starts_with(project) {
            return Some(format!(
                "{}: a symbolic link to {}, outside the project; not followed",
                link.display(),
                target.display()
            ));
        }
        None
    }
}

/// Identity of a folder being walked and of those above it, to tell a
/// symbolic link that loops back.
#[derive(Clone, Default)]
struct Ancestors(Option<Arc<AncestorNode>>);

struct AncestorNode {
    id: (u64, u64),
    path: PathBuf,
    parent: Option<Arc<AncestorNode>>,
}

impl Ancestors {
    fn with(&self, id: (u64, u64), path: &Path) -> Ancestors {
        Ancestors(Some(Arc::new(AncestorNode { id, path: path.to_path_buf(), parent: self.0.clone() })))
    }

    fn find(&self, id: (u64, u64)) -> Option<&Path> {
        let mut node = self.0.as_deref();
        while let Some(n) = node {
            if n.id == id {
                return Some(&n.path);
            }
            node = n.parent.as_deref();
        }
        None
    }
}

#[cfg(target_os = "linux")]
fn clear_errno() {
    // SAFETY: errno is thread-local and always valid to write.
    unsafe { *libc::__errno_location() = 0 };
}

#[cfg(target_os = "linux")]
fn last_errno() -> i32 {
    // SAFETY: errno is thread-local and always valid to read.
    unsafe { *libc::__errno_location() }
}

// Elsewhere a failed `readdir` is not told from the end of the folder.
#[cfg(all(unix, not(target_os = "linux")))]
fn clear_errno() {}

#[cfg(all(unix, not(target_os = "linux")))]
fn last_errno() -> i32 {
    0
}

/// CPU time used by the whole process so far.
#[cfg(unix)]
pub(crate) fn process_cpu_time() -> Option<std::time::Duration> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given and touches nothing else.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: initialised by the successful call above.
    let usage = unsafe { usage.assume_init() };
    let time = |t: libc::timeval| std::time::Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Some(time(usage.ru_utime) + time(usage.ru_stime))
}

#[cfg(not(unix))]
pub(crate) fn process_cpu_time() -> Option<std::time::Duration> {
    None
}

#[cfg(unix)]
fn folder_id(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn folder_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

struct Job {
    abs: PathBuf,
    /// Project-relative, `/`-separated ("" for the project folder).
    rel: String,
    matchers: Matchers,
    ancestors: Ancestors,
}

/// A file the walk found.
pub(crate) struct Found<'a> {
    /// Project-relative, `/`-separated.
    pub rel: &'a str,
    pub name: &'a OsStr,
    pub folder: &'a Folder,
    /// Whether it is a regular file (after following a link): pipes and
    /// devices must not be opened.
    pub regular: bool,
}

/// An open folder, to list it and open its files by name.
pub(crate) struct Folder {
    pub abs: PathBuf,
    #[cfg(unix)]
    stream: DirStream,
}

/// What a folder entry is, as the listing tells (no `stat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryType {
    Dir,
    File,
    Link,
    Other,
    /// The file system does not say: ask with `stat`.
    Unknown,
}

/// A folder's entries, names kept in one buffer.
#[derive(Default)]
struct Listing {
    #[cfg(unix)]
    names: Vec<u8>,
    #[cfg(unix)]
    entries: Vec<(usize, usize, EntryType)>,
    #[cfg(not(unix))]
    entries: Vec<(std::ffi::OsString, EntryType)>,
}

impl Listing {
    fn iter(&self) -> impl Iterator<Item = (&OsStr, EntryType)> {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            self.entries.iter().map(|&(start, end, t)| (OsStr::from_bytes(&self.names[start..end]), t))
        }
        #[cfg(not(unix))]
        {
            self.entries.iter().map(|(n, t)| (n.as_os_str(), *t))
        }
    }
}

/// An open directory stream (`opendir`), closed on drop. The walk lists a
/// folder through it and opens the folder's files against its descriptor:
/// one `open` a folder, and no allocation per entry (the standard library's
/// `read_dir` copies every name twice).
#[cfg(unix)]
struct DirStream(std::ptr::NonNull<libc::DIR>);

#[cfg(unix)]
impl Drop for DirStream {
    fn drop(&mut self) {
        // SAFETY: the stream came from `opendir` and is closed only here.
        unsafe { libc::closedir(self.0.as_ptr()) };
    }
}

#[cfg(unix)]
impl DirStream {
    fn fd(&self) -> std::os::fd::RawFd {
        // SAFETY: the stream is open for as long as `self` lives.
        unsafe { libc::dirfd(self.0.as_ptr()) }
    }
}

impl Folder {
    #[cfg(unix)]
    fn open(abs: &Path) -> std::io::Result<Folder> {
        use std::os::unix::ffi::OsStrExt;
        let c_path = std::ffi::CString::new(abs.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a NUL byte in the path"))?;
        // SAFETY: `c_path` is a valid NUL-terminated string for the call.
        let dir = unsafe { libc::opendir(c_path.as_ptr()) };
        let stream = std::ptr::NonNull::new(dir).ok_or_else(std::io::Error::last_os_error)?;
        Ok(Folder { abs: abs.to_path_buf(), stream: DirStream(stream) })
    }

    #[cfg(not(unix))]
    fn open(abs: &Path) -> std::io::Result<Folder> {
        Ok(Folder { abs: abs.to_path_buf() })
    }

    /// Reads every entry but `.` and `..`.
    #[cfg(unix)]
    fn list(&self) -> std::io::Result<Listing> {
        // Sized for a typical folder, so listing one rarely grows a buffer.
        let mut listing = Listing { names: Vec::with_capacity(4096), entries: Vec::with_capacity(128) };
        loop {
            clear_errno();
            // SAFETY: the stream is open; the entry it returns is valid until
            // the next call on the same stream, and is copied before that.
            let entry = unsafe { libc::readdir(self.stream.0.as_ptr()) };
            if entry.is_null() {
                return match last_errno() {
                    0 => Ok(listing),
                    code => Err(std::io::Error::from_raw_os_error(code)),
                };
            }
            // SAFETY: `d_name` is a NUL-terminated name inside the entry.
            let (name, d_type) =
                unsafe { (std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()).to_bytes(), (*entry).d_type) };
            if name == b"." || name == b".." {
                continue;
            }
            let kind = match d_type {
                libc::DT_DIR => EntryType::Dir,
                libc::DT_REG => EntryType::File,
                libc::DT_LNK => EntryType::Link,
                libc::DT_UNKNOWN => EntryType::Unknown,
                _ => EntryType::Other,
            };
            let start = listing.names.len();
            listing.names.extend_from_slice(name);
            listing.entries.push((start, listing.names.len(), kind));
        }
    }

    #[cfg(not(unix))]
    fn list(&self) -> std::io::Result<Listing> {
        let mut listing = Listing::default();
        for entry in std::fs::read_dir(&self.abs)? {
            let entry = entry?;
            let kind = match entry.file_type() {
                Ok(t) if t.is_symlink() => EntryType::Link,
                Ok(t) if t.is_dir() => EntryType::Dir,
                Ok(t) if t.is_file() => EntryType::File,
                Ok(_) => EntryType::Other,
                Err(_) => EntryType::Unknown,
            };
            listing.entries.push((entry.file_name(), kind));
        }
        Ok(listing)
    }

    /// Device and inode, to tell a link back to this folder.
    fn id(&self) -> Option<(u64, u64)> {
        std::fs::metadata(&self.abs).ok().as_ref().and_then(folder_id)
    }

    /// Opens file `name` of this folder for reading.
    #[cfg(unix)]
    pub fn open_file(&self, name: &OsStr) -> std::io::Result<File> {
        use std::os::fd::FromRawFd;
        use std::os::unix::ffi::OsStrExt;
        let bytes = name.as_bytes();
        let mut c_name = [0u8; 256];
        if bytes.len() >= c_name.len() || bytes.contains(&0) {
            return File::open(self.abs.join(name));
        }
        c_name[..bytes.len()].copy_from_slice(bytes);
        // SAFETY: `c_name` is NUL-terminated (checked above) and outlives the call.
        let fd = unsafe {
            libc::openat(self.stream.fd(), c_name.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY)
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and nothing else owns it.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    #[cfg(not(unix))]
    pub fn open_file(&self, name: &OsStr) -> std::io::Result<File> {
        File::open(self.abs.join(name))
    }

    /// Size, modification time (ns since the epoch) and inode of file
    /// `name`, following a link as `std::fs::metadata` does: one `fstatat`
    /// against the folder's descriptor, no path walk.
    #[cfg(unix)]
    pub fn stat_file(&self, name: &OsStr) -> std::io::Result<FileStat> {
        use std::os::unix::ffi::OsStrExt;
        let c_name = std::ffi::CString::new(name.as_bytes()).map_err(std::io::Error::other)?;
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `c_name` is NUL-terminated and `st` is written by the call on success.
        let rc = unsafe { libc::fstatat(self.stream.fd(), c_name.as_ptr(), st.as_mut_ptr(), 0) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fstatat` succeeded, so `st` is initialised.
        let st = unsafe { st.assume_init() };
        Ok(FileStat {
            size: st.st_size as u64,
            mtime_ns: st.st_mtime as i128 * 1_000_000_000 + st.st_mtime_nsec as i128,
            // `ino_t` is 32 bits on some Unix targets.
            #[allow(clippy::unnecessary_cast)]
            inode: st.st_ino as u64,
        })
    }

    #[cfg(not(unix))]
    pub fn stat_file(&self, name: &OsStr) -> std::io::Result<FileStat> {
        let m = std::fs::metadata(self.abs.join(name))?;
        let mtime_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        Ok(FileStat { size: m.len(), mtime_ns, inode: 0 })
    }
}

/// What `stat` says of a file, as far as telling a changed file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStat {
    pub size: u64,
    pub mtime_ns: i128,
    pub inode: u64,
}

/// What a walk found besides files.
#[derive(Default)]
pub(crate) struct WalkReport {
    /// Every folder walked (absolute).
    pub dirs: Vec<PathBuf>,
    /// Problems: folders that could not be listed, links that lead nowhere or loop.
    pub errors: Vec<String>,
    /// Folders that exist but could not be listed, and ignore files too
    /// long to honour (project-relative), each with its finding's message.
    pub unreadable: Vec<(String, String)>,
}

/// How many threads walk: `start` at first, and up to `max` when the
/// disk, not the CPU, turns out to be the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Threads {
    pub start: usize,
    pub max: usize,
}

/// The walk's shared state: folders waiting to be listed, and how many
/// threads are listing one (the walk ends when both are zero).
struct Queue {
    state: Mutex<(Vec<Job>, usize)>,
    /// Threads waiting for a folder to list.
    wake: Condvar,
    /// The thread waiting for the end of the walk.
    end: Condvar,
}

impl Queue {
    fn next(&self) -> Option<Job> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(job) = s.0.pop() {
                s.1 += 1;
                return Some(job);
            }
            if s.1 == 0 {
                self.wake.notify_all();
                return None;
            }
            s = self.wake.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn done(&self, more: Vec<Job>) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let added = more.len();
        s.0.extend(more);
        s.1 -= 1;
        let finished = s.0.is_empty() && s.1 == 0;
        drop(s);
        if finished {
            self.wake.notify_all();
            self.end.notify_all();
        } else if added == 1 {
            self.wake.notify_one();
        } else if added > 1 {
            self.wake.notify_all();
        }
    }

    /// Waits up to `timeout` for the walk to end; `true` when it has.
    fn wait_end(&self, timeout: std::time::Duration) -> bool {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (s, _) = self
            .end
            .wait_timeout_while(s, timeout, |s| !(s.0.is_empty() && s.1 == 0))
            .unwrap_or_else(|p| p.into_inner());
        s.0.is_empty() && s.1 == 0
    }
}

/// Marks a folder as listed even if listing it panics, so the other
/// threads finish their work and the panic reaches the caller instead of
/// the walk waiting forever for that folder.
struct ListingGuard<'a>(&'a Queue);

impl Drop for ListingGuard<'_> {
    fn drop(&mut self) {
        self.0.done(Vec::new());
    }
}

/// Walks `roots` (absolute folders under `project_root`). Each thread gets
/// its own visitor from `visitor`, called for every file that belongs to
/// the project; the visitor is dropped when its thread ends. `extra` holds
/// the `project.ignore` globs.
///
/// The pool starts at `threads.start` (one per core: from the page cache,
/// more threads only add switching) and doubles, up to `threads.max`,
/// while the process used less than three quarters of those cores over
/// the last 10 ms: the threads are waiting for the disk (a cold cache, a
/// network drive), and more requests in flight hide its latency.
pub(crate) fn walk<V: FnMut(Found<'_>)>(
    project_root: &Path,
    roots: &[PathBuf],
    extra: &Gitignore,
    threads: Threads,
    visitor: impl Fn() -> V + Sync,
) -> WalkReport {
    let report = Mutex::new(WalkReport::default());
    let mut jobs = Vec::new();
    let mut too_long = Vec::new();
    for root in roots {
        let Some(rel) = root.strip_prefix(project_root).ok().map(|r| r.to_string_lossy().replace('\\', "/")) else {
            continue;
        };
        let matchers = matchers_above(project_root, &rel, &mut too_long);
        jobs.push(Job { abs: root.clone(), rel, matchers, ancestors: Ancestors::default() });
    }
    // Roots share the folders above them: each is told of once.
    too_long.sort();
    too_long.dedup();
    if let Ok(mut r) = report.lock() {
        r.unreadable.extend(too_long.into_iter().map(|(folder, name, size)| too_long_finding(&folder, &name, size)));
    }
    let queue = Queue { state: Mutex::new((jobs, 0)), wake: Condvar::new(), end: Condvar::new() };
    let links = LinkPolicy::new(project_root);
    let work = || {
        let mut visit = visitor();
        let mut local = WalkReport::default();
        while let Some(job) = queue.next() {
            let listing = ListingGuard(&queue);
            let more = list(job, extra, &links, &mut visit, &mut local);
            std::mem::forget(listing);
            queue.done(more);
        }
        let mut r = report.lock().unwrap_or_else(|p| p.into_inner());
        r.dirs.append(&mut local.dirs);
        r.errors.append(&mut local.errors);
        r.unreadable.append(&mut local.unreadable);
    };
    std::thread::scope(|scope| {
        let mut running = threads.start.max(1);
        // Without a CPU clock there is nothing to decide from: start wide.
        let mut clock = process_cpu_time().map(|cpu| (cpu, std::time::Instant::now()));
        if clock.is_none() {
            running = threads.max.max(running);
        }
        for _ in 0..running {
            scope.spawn(work);
        }
        while !queue.wait_end(std::time::Duration::from_millis(10)) {
            let (Some((cpu_before, before)), Some(cpu)) = (clock, process_cpu_time()) else { continue };
            let now = std::time::Instant::now();
            clock = Some((cpu, now));
            // The cores were mostly idle while there was work: the threads
            // are waiting for the disk.
            let busy = (cpu - cpu_before).as_secs_f64() / ((now - before).as_secs_f64() * threads.start as f64);
            if busy < 0.75 && running < threads.max {
                let more = running.min(threads.max - running);
                for _ in 0..more {
                    scope.spawn(work);
                }
                running += more;
            }
        }
    });
    report.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// Lists one folder: visits its files, returns its sub-folders to walk.
fn list<V: FnMut(Found<'_>)>(
    job: Job,
    extra: &Gitignore,
    links: &LinkPolicy,
    visit: &mut V,
    report: &mut WalkReport,
) -> Vec<Job> {
    let Job { abs, rel, mut matchers, ancestors } = job;
    let (folder, listing) = match Folder::open(&abs).and_then(|f| {
        let listing = f.list()?;
        Ok((f, listing))
    }) {
        Ok(x) => x,
        // A folder that vanished mid-walk is simply gone; one that is
        // there but cannot be listed hides files the user expects checked.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            report.errors.push(format!("{}: {e}", abs.display()));
            return Vec::new();
        }
        Err(e) => {
            report
                .unreadable
                .push((rel, format!("Assetry cannot list this folder ({e}); the files in it were not checked")));
            return Vec::new();
        }
    };
    let ancestors = match folder.id() {
        Some(id) => ancestors.with(id, &abs),
        None => ancestors,
    };
    report.dirs.push(abs.clone());
    let has = |name: &str| listing.iter().any(|(n, t)| n == name && t != EntryType::Dir);
    if IGNORE_FILES.iter().any(|n| has(n)) {
        let mut too_long = Vec::new();
        if let Some(m) = folder_matcher(&abs, has, &mut too_long) {
            matchers = matchers.with(Arc::new(m), rel.len());
        }
        for (name, size) in too_long {
            report.unreadable.push(too_long_finding(&rel, &name, size));
        }
    }
    let mut subfolders = Vec::new();
    let mut child_rel = String::new();
    for (name, entry_type) in listing.iter() {
        if is_skipped_name(name.as_encoded_bytes()) {
            continue;
        }
        let Some(name_str) = name.to_str() else {
            report.errors.push(format!("{}: not a UTF-8 name; skipped", abs.join(name).display()));
            continue;
        };
        // Built in one buffer: a file's path is copied once, by the visitor
        // that keeps it.
        child_rel.clear();
        if !rel.is_empty() {
            child_rel.push_str(&rel);
            child_rel.push('/');
        }
        child_rel.push_str(name_str);
        // Follow links: what counts is what they lead to.
        let mut followed = None;
        let (is_dir, regular) = match entry_type {
            EntryType::Dir => (true, false),
            EntryType::File => (false, true),
            EntryType::Other => (false, false),
            EntryType::Link | EntryType::Unknown => match std::fs::metadata(abs.join(name)) {
                Ok(m) => {
                    let kind = (m.is_dir(), m.is_file());
                    if entry_type == EntryType::Link {
                        followed = Some(m);
                    }
                    kind
                }
                Err(e) => {
                    report.errors.push(format!("{}: {e}", abs.join(name).display()));
                    continue;
                }
            },
        };
        if matchers.is_ignored(&child_rel, is_dir)
            || (!extra.is_empty() && extra.matched(Path::new(&child_rel), is_dir).is_ignore())
        {
            continue;
        }
        if followed.is_some()
            && let Some(why) = links.refuse(&abs.join(name), is_dir)
        {
            report.errors.push(why);
            continue;
        }
        if is_dir {
            let child_abs = abs.join(name);
            if let Some(id) = followed.as_ref().and_then(folder_id)
                && let Some(ancestor) = ancestors.find(id)
            {
                report.errors.push(format!(
                    "{}: a symbolic link to {}, which contains it (a loop); not followed",
                    child_abs.display(),
                    ancestor.display()
                ));
                continue;
            }
            subfolders.push(Job {
                abs: child_abs,
                rel: child_rel.clone(),
                matchers: matchers.clone(),
                ancestors: ancestors.clone(),
            });
        } else {
            visit(Found { rel: &child_rel, name, folder: &folder, regular });
        }
    }
    subfolders
}

#[cfg(test)]
mod tests {
    use ignore::gitignore::GitignoreBuilder;

    use super::*;
    use crate::rules::{path_is_ignored, read_folder_matcher};

    fn walked(root: &Path, roots: &[&str], extra: &[&str]) -> (Vec<String>, WalkReport) {
        let mut b = GitignoreBuilder::new(root);
        for g in extra {
            b.add_line(None, g).unwrap();
        }
        let extra = b.build().unwrap();
        let found = Mutex::new(Vec::new());
        let roots: Vec<PathBuf> = roots.iter().map(|r| root.join(r)).collect();
        let report = walk(root, &roots, &extra, Threads { start: 2, max: 4 }, || {
            |f: Found<'_>| {
                assert!(f.folder.open_file(f.name).is_ok() || !f.regular, "{}", f.rel);
                found.lock().unwrap().push(f.rel.to_owned());
            }
        });
        let mut found = found.into_inner().unwrap();
        found.sort();
        (found, report)
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn ignore_files_at_every_level_deepest_wins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".gitignore", "*.psd\nbuild/\n");
        write(root, "assets/raw/.gitignore", "*.blend\n!keep.psd\n");
        write(root, "assets/raw/.ignore", "*.tmp2\n!ship.blend\n");
        for f in [
            "assets/a.png",
            "assets/a.psd",
            "assets/build/x.png",
            "assets/raw/keep.psd",
            "assets/raw/b.blend",
            "assets/raw/ship.blend",
            "assets/raw/c.tmp2",
            "assets/raw/d.tmp",
            "assets/.hidden/e.png",
            "assets/target/f.png",
            "assets/.g.png",
        ] {
            write(root, f, "x");
        }
        let (found, report) = walked(root, &["assets"], &["**/*.tmp"]);
        assert_eq!(found, ["assets/a.png", "assets/raw/keep.psd", "assets/raw/ship.blend"]);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert!(report.dirs.contains(&root.join("assets/raw")));
        assert!(!report.dirs.contains(&root.join("assets/build")));
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_loops_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "assets/a/x.png", "x");
        write(root, "shared/y.png", "y");
        std::os::unix::fs::symlink(root.join("assets"), root.join("assets/a/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("shared"), root.join("assets/shared")).unwrap();
        std::os::unix::fs::symlink("nowhere.png", root.join("assets/dangling.png")).unwrap();
        let (found, report) = walked(root, &["assets"], &[]);
        assert_eq!(found, ["assets/a/x.png", "assets/shared/y.png"]);
        assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
        assert!(report.errors.iter().any(|e| e.contains("loop")), "{:?}", report.errors);
    }

    #[cfg(unix)]
    #[test]
    fn links_never_lead_out_of_the_project() {
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "lib/z.png", "z");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "assets/a/x.png", "x");
        let link = |target: &Path, at: &str| std::os::unix::fs::symlink(target, root.join(at)).unwrap();
        link(Path::new("/"), "assets/slash");
        link(Path::new(".."), "assets/a/up");
        link(root, "assets/project");
        link(Path::new("/proc/self"), "assets/proc");
        link(Path::new("/dev"), "assets/dev");
        link(Path::new("/proc/self/status"), "assets/status.json");
        link(&outside.path().join("lib"), "assets/lib");
        let (found, report) = walked(root, &["assets"], &[]);
        assert_eq!(found, ["assets/a/x.png"]);
        let mut errors = report.errors.clone();
        errors.sort();
        let why = |at: &str| -> String {
            errors.iter().find(|e| e.starts_with(&root.join(at).display().to_string())).cloned().unwrap_or_default()
        };
        assert!(why("assets/slash").ends_with("which contains the project (a loop); not followed"), "{errors:?}");
        assert!(why("assets/project").ends_with("which contains the project (a loop); not followed"), "{errors:?}");
        assert!(why("assets/proc").ends_with("on a pseudo file system; not followed"), "{errors:?}");
        assert!(why("assets/dev").ends_with("on a pseudo file system; not followed"), "{errors:?}");
        assert!(why("assets/status.json").ends_with("on a pseudo file system; not followed"), "{errors:?}");
        assert!(why("assets/lib").ends_with("outside the project; not followed"), "{errors:?}");
        // `assets/a/up` leads to `assets`, inside the project and being walked: the loop check.
        assert!(why("assets/a/up").contains("(a loop); not followed"), "{errors:?}");
        assert_eq!(errors.len(), 7, "{errors:?}");
    }

    #[test]
    fn one_path_is_judged_as_the_walk_judges_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".gitignore", "*.psd\nbuild/\n");
        write(root, "assets/raw/.gitignore", "*.blend\n!keep.psd\n");
        for rel in ["assets/a.psd", "assets/raw/keep.psd", "assets/raw/b.blend", "assets/build/x.png", "assets/ok.png"]
        {
            write(root, rel, "x");
        }
        let (found_now, _) = walked(root, &["assets"], &[]);
        let one = |rel: &str, is_dir| path_is_ignored(root, &Gitignore::empty(), rel, is_dir, &mut read_folder_matcher);
        for rel in ["assets/a.psd", "assets/raw/keep.psd", "assets/raw/b.blend", "assets/build/x.png", "assets/ok.png"]
        {
            let walked = found_now.iter().any(|f| f == rel);
            assert_eq!(one(rel, false), !walked, "{rel}");
        }
        assert!(one("assets/build", true));
        assert!(!one("assets/raw", true));
    }

    #[test]
    fn a_panicking_visitor_ends_the_walk_with_the_panic() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for i in 0..50 {
            write(root, &format!("assets/d{}/f{i}.png", i % 7), "x");
        }
        let extra = Gitignore::empty();
        let roots = [root.join("assets")];
        let result = std::panic::catch_unwind(|| {
            walk(root, &roots, &extra, Threads { start: 3, max: 3 }, || {
                |f: Found<'_>| assert!(!f.rel.ends_with("f20.png"), "a visitor bug")
            })
        });
        assert!(result.is_err());
    }

    #[test]
    fn a_nested_walk_root_sees_the_ignore_files_above_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".gitignore", "*.psd\n");
        write(root, "assets/deep/.gitignore", "!keep.psd\n");
        write(root, "assets/deep/er/a.psd", "x");
        write(root, "assets/deep/er/keep.psd", "x");
        write(root, "assets/deep/er/b.png", "x");
        let (found, _) = walked(root, &["assets/deep/er"], &[]);
        assert_eq!(found, ["assets/deep/er/b.png", "assets/deep/er/keep.psd"]);
    }
}
