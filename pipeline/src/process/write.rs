//! Putting an artifact in place (an unnamed file linked in when there was
//! none, else a scratch file renamed over the old one) and making outputs
//! durable before their records are committed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::ProcessError;
use super::plan::Entry;
use super::processors::{self, Input, Output, Problem};
use super::settings::Processor;
use super::store::Record;
use crate::project::Project;

/// How an asset's processing failed: `keep` for the processor's own verdict
/// (recorded with the key, not tried again until the key changes), not for
/// an I/O error around it.
pub(super) struct Failed {
    pub(super) problem: Problem,
    pub(super) keep: bool,
}

/// Runs the processor and puts the artifact in place: linked in whole when
/// it is new ([`link_new`]), else written to a scratch file and renamed
/// over the old one (a reader sees the old or the new artifact, never a part). `sync`: the file is made durable before
/// the rename (its folders are, by the caller, once every artifact is in place).
pub(super) fn produce(
    project: &Project,
    e: &Entry,
    n: usize,
    (scratch, out, modules, made): (&Path, &Path, &processors::ModulePaths, &Mutex<Vec<PathBuf>>),
    old: Option<&Record>,
    read: &AtomicUsize,
    sync: bool,
) -> Result<(u64, String), Failed> {
    let io = |problem: Problem| Failed { problem, keep: false };
    let abs = project.abs_path(&e.path);
    let kept = e.bytes.lock().ok().and_then(|mut b| b.take());
    let bytes = match kept {
        // The very bytes the key was made from.
        Some(bytes) => bytes,
        None => {
            read.fetch_add(1, Ordering::Relaxed);
            let bytes = std::fs::read(&abs).map_err(|err| io(Problem::new(format!("cannot read the asset: {err}"))))?;
            // The file changed after planning: its key is stale; the next run
            // (or the next change batch) picks the new content up.
            if blake3::hash(&bytes).to_hex().as_str() != e.source_hash {
                return Err(io(Problem::new("the asset changed while it was processed; it will be processed again")));
            }
            bytes
        }
    };
    let ext = e.artifact.rsplit_once('.').map_or("out", |(_, x)| x);
    let tmp = scratch.join(format!("{n}.{ext}"));
    let input = Input { project, asset: e.file, source: &abs, bytes, settings: &e.settings, scratch: &tmp, modules };
    // The processor's own verdict, a pure function of the key's inputs: kept.
    let output = processors::run(&e.processor, input).map_err(|problem| Failed { keep: !problem.machine, problem })?;
    let write_err = |err: std::io::Error| io(Problem::new(format!("cannot write the artifact: {err}")));
    let target = out.join(&e.artifact);
    // The old artifact goes first: removing it may remove its emptied folder.
    if let Some(old) = old
        && old.artifact != e.artifact
    {
        remove_artifact(out, &old.artifact);
    }
    if let Some(parent) = target.parent()
        && !parent.is_dir()
    {
        std::fs::create_dir_all(parent)
            .map_err(|err| io(Problem::new(format!("cannot create {}: {err}", parent.display()))))?;
        // Its entry in its parent has to be made durable too.
        if let Ok(mut made) = made.lock() {
            made.push(parent.to_owned());
        }
    }
    // Bytes are written beside their artifact and renamed within its
    // folder: a rename across folders takes the file system's rename lock,
    // and files made in one scratch folder by every worker contend for its
    // lock (together 40% of a cold run's time on 10,000 copies). A killed
    // run leaves such a file only while its journal entry stands, and the
    // next run sweeps them then (`sweep_unfinished`).
    let tmp = match &output {
        Output::Bytes(_) => target.with_file_name(format!(
            ".{}{UNFINISHED}",
            target.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        )),
        Output::Scratch => tmp,
    };
    let (size, hash) = match output {
        Output::Bytes(b) => {
            // A copy's bytes are the source's, whose hash is known.
            let hash = if e.processor == Processor::Copy {
                e.source_hash.clone()
            } else {
                blake3::hash(&b).to_hex().to_string()
            };
            // No artifact yet (a first run): made unnamed and linked in whole.
            if old.is_none() && link_new(&target, &b, sync).map_err(write_err)? {
                return Ok((b.len() as u64, hash));
            }
            let mut f = std::fs::File::create(&tmp).map_err(write_err)?;
            std::io::Write::write_all(&mut f, &b).map_err(write_err)?;
            if sync {
                f.sync_all().map_err(write_err)?;
            }
            (b.len() as u64, hash)
        }
        Output::Scratch => {
            let b =
                std::fs::read(&tmp).map_err(|err| io(Problem::new(format!("cannot read the tool's output: {err}"))))?;
            if sync {
                std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(write_err)?;
            }
            (b.len() as u64, blake3::hash(&b).to_hex().to_string())
        }
    };
    std::fs::rename(&tmp, &target)
        .map_err(|err| io(Problem::new(format!("cannot write {}: {err}", target.display()))))?;
    Ok((size, hash))
}

/// Writes `bytes` as `target`, which should not exist yet, as an unnamed
/// file of its folder (Linux's `O_TMPFILE`) linked in once complete: one
/// change of the folder instead of two (a create and a rename; on a cold
/// run of 10,000 copies those folder changes are most of the kernel's
/// time), and a killed run leaves nothing behind. `sync`: the bytes are
/// made durable before the link. `Ok(false)`: nothing was written (the file
/// system or kernel cannot, `/proc` is missing, or `target` exists): the
/// caller writes it the other way.
#[cfg(target_os = "linux")]
fn link_new(target: &Path, bytes: &[u8], sync: bool) -> std::io::Result<bool> {
    use std::ffi::CString;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;

    let Some(dir) = target.parent() else { return Ok(false) };
    let Ok(target_c) = CString::new(target.as_os_str().as_bytes()) else { return Ok(false) };
    let opened = std::fs::OpenOptions::new().write(true).mode(0o666).custom_flags(libc::O_TMPFILE).open(dir);
    let mut f = match opened {
        Ok(f) => f,
        // No O_TMPFILE here (EOPNOTSUPP: the file system; EISDIR or EINVAL: the kernel).
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)) => {
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    f.write_all(bytes)?;
    if sync {
        f.sync_all()?;
    }
    let Ok(fd_path) = CString::new(format!("/proc/self/fd/{}", f.as_raw_fd())) else { return Ok(false) };
    // SAFETY: two NUL-terminated paths that live across the call.
    let linked = unsafe {
        libc::linkat(libc::AT_FDCWD, fd_path.as_ptr(), libc::AT_FDCWD, target_c.as_ptr(), libc::AT_SYMLINK_FOLLOW)
    };
    if linked == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        // The target exists after all, or `/proc` is not mounted.
        Some(libc::EEXIST | libc::ENOENT) => Ok(false),
        _ => Err(err),
    }
}

#[cfg(not(target_os = "linux"))]
fn link_new(_target: &Path, _bytes: &[u8], _sync: bool) -> std::io::Result<bool> {
    Ok(false)
}

pub(super) fn remove_artifact(out: &Path, artifact: &str) {
    let path = out.join(artifact);
    let _ = std::fs::remove_file(&path);
    // Empty folders left behind go too, up to the profile's folder.
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == out || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Makes everything written under `dir`'s file system durable: one
/// `syncfs` for a whole chunk instead of an `fsync` per artifact.
pub(super) fn syncfs(dir: &Path) -> Result<(), ProcessError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let f = std::fs::File::open(dir).map_err(|e| ProcessError::io(dir, e))?;
        // SAFETY: syncfs on a descriptor this function owns.
        if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
            return Err(ProcessError::io(dir, std::io::Error::last_os_error()));
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
    }
    Ok(())
}

/// Makes the renames of `artifacts` (files already synced) durable: an
/// `fsync` of each artifact's folder, and of the parents of the folders this
/// run made (`made`), up to `out`: a new folder is an entry in its parent.
pub(super) fn sync_folders(out: &Path, artifacts: &[&str], made: &[PathBuf]) -> Result<(), ProcessError> {
    let mut folders: Vec<PathBuf> =
        artifacts.iter().filter_map(|a| Some(out.join(a).parent()?.to_path_buf())).collect();
    for m in made {
        let mut dir = m.parent();
        while let Some(d) = dir {
            if !d.starts_with(out) {
                break;
            }
            folders.push(d.to_path_buf());
            dir = d.parent();
        }
    }
    folders.sort_unstable();
    folders.dedup();
    for d in folders {
        std::fs::File::open(&d).and_then(|f| f.sync_all()).map_err(|e| ProcessError::io(&d, e))?;
    }
    Ok(())
}

/// The name suffix of an artifact being written beside its final path.
const UNFINISHED: &str = ".assetry-unfinished";

/// Removes what a killed run left half-written beside its artifacts. Such a
/// file exists only while its asset's journal entry does, so this runs only
/// when the journal had entries, before they are cleared.
pub(super) fn sweep_unfinished(out: &Path) {
    let mut dirs = vec![out.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                dirs.push(entry.path());
            } else if name.to_string_lossy().ends_with(UNFINISHED) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::link_new;

    /// A new artifact appears whole under its name; an existing one is
    /// left alone for the caller's rename.
    #[test]
    fn link_new_writes_a_new_file_and_leaves_an_existing_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.png");
        assert!(link_new(&target, b"first", true).unwrap());
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        assert!(!link_new(&target, b"second", false).unwrap());
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        // Nothing else in the folder: the unnamed file of the refused link is gone.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
