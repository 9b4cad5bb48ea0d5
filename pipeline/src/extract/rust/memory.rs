//! What tree-sitter holds, counted per thread, and what one file's parses
//! may hold: past it the parse is cancelled, before a hostile file costs
//! hundreds of times its size.
//!
//! The parse budget in `mod.rs` bounds work; this bounds memory. On
//! pathological text (a megabyte of `[`, `'` or `#`) every byte becomes an
//! error node and tree-sitter's stacks hold 100–250 bytes per byte of the
//! file. tree-sitter lets the allocator be replaced ([`tree_sitter::set_allocator`]):
//! the replacement is libc's own family, plus a per-thread count of the
//! bytes live (by `malloc_usable_size`), which the progress callback
//! compares with the file's [`Allowance`].
//!
//! Linux (glibc and musl have `malloc_usable_size`) only; elsewhere the
//! count stays 0 and only the work budget applies.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Bytes a file's parses may hold per byte of the file on their own: the
/// project's memory bound is 10 times its size, whatever the files hold.
const OWN_PER_BYTE: i64 = 10;
/// What any file's parses may hold on their own, however short: real code
/// holds about 22 bytes per byte (below), so files up to about 85 KiB
/// never reach the shared part and parse in parallel.
const OWN_FLOOR: i64 = 1024 * 1024;
/// What one file at a time may hold beyond its own part. On Bevy's whole
/// repository (1,110 files of 4 KiB or more, 21.5 MB) the parses of a file
/// hold 21.7 bytes per byte in all and 87.4 at most (a small UI example);
/// 28 files go past their own part, by 1.7 MiB at most
/// (`tests::memory_per_byte_of_real_code` measures it). Generated systems
/// that load and spawn hold 33 per byte: a megabyte of them (the most a
/// game-code file may have) needs 22 MiB of this. A megabyte of `[` would
/// hold about 250 MiB.
pub(super) const SHARED_BYTES: i64 = 32 * 1024 * 1024;

/// The shared part: one file holds it at a time, from the moment its
/// parses cross their own part until its trees are dropped (a finished
/// tree still holds its bytes). Waiting for it never changes a verdict: a
/// file is cancelled only past its own part plus all of the shared one,
/// whatever other threads parse meanwhile.
static SHARED: Mutex<()> = Mutex::new(());

/// What one file's parses (its own and its macro bodies', all counted
/// together from the start of the file) may hold at once: `10 × len +` 1
/// MiB on their own, and [`SHARED_BYTES`] more while holding the shared
/// part. So reader threads add at most 1 MiB each, plus 32 MiB once, to
/// 10 times the project.
pub(super) struct Allowance {
    /// What this thread's tree-sitter held when the file began.
    start: i64,
    own: i64,
    shared: Option<MutexGuard<'static, ()>>,
    /// The most the file's parses were seen to hold (for measurements).
    #[cfg(test)]
    pub(super) peak: i64,
}

impl Allowance {
    /// What a file of `len` bytes may hold on its own.
    pub(super) fn own_for_len(len: usize) -> i64 {
        OWN_FLOOR.saturating_add(OWN_PER_BYTE.saturating_mul(len as i64))
    }

    pub(super) fn for_len(len: usize) -> Self {
        install();
        let own = Self::own_for_len(len);
        Allowance {
            start: live(),
            own,
            shared: None,
            #[cfg(test)]
            peak: 0,
        }
    }

    /// No bound (for measurements).
    #[cfg(test)]
    pub(super) fn unbounded() -> Self {
        install();
        Allowance { start: live(), own: i64::MAX, shared: None, peak: 0 }
    }

    /// Whether the file's parses may go on holding what they hold now;
    /// past their own part this waits for the shared one (the holder lets
    /// it go when its file is done, which only takes parsing and walking).
    pub(super) fn allows_now(&mut self) -> bool {
        let held = live() - self.start;
        #[cfg(test)]
        {
            self.peak = self.peak.max(held);
        }
        if held <= self.own {
            return true;
        }
        if self.shared.is_none() {
            self.shared = Some(SHARED.lock().unwrap_or_else(PoisonError::into_inner));
        }
        held - self.own <= SHARED_BYTES
    }

    /// Whether the file went past its own part (then the thread's parser,
    /// whose buffers grew with it, is not kept for the next file).
    pub(super) fn went_past_own(&self) -> bool {
        self.shared.is_some()
    }
}

#[cfg(target_os = "linux")]
mod counting {
    use std::cell::Cell;
    use std::ffi::c_void;

    thread_local! {
        /// Bytes tree-sitter allocated on this thread and has not freed here.
        /// A free of memory from another thread lowers it: the difference
        /// across one parse is what that parse kept, give or take.
        static LIVE: Cell<i64> = const { Cell::new(0) };
    }

    fn usable(p: *mut c_void) -> i64 {
        if p.is_null() { 0 } else { unsafe { libc::malloc_usable_size(p) as i64 } }
    }

    fn add(delta: i64) {
        // During thread teardown the slot may be gone: nothing to count then.
        let _ = LIVE.try_with(|c| c.set(c.get() + delta));
    }

    fn checked(p: *mut c_void, size: usize) -> *mut c_void {
        // tree-sitter's own allocator aborts when memory runs out; so does this one.
        if p.is_null() && size != 0 {
            std::process::abort();
        }
        p
    }

    unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
        let p = checked(unsafe { libc::malloc(size) }, size);
        add(usable(p));
        p
    }

    unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
        let p = checked(unsafe { libc::calloc(n, size) }, n.saturating_mul(size));
        add(usable(p));
        p
    }

    unsafe extern "C" fn realloc(old: *mut c_void, size: usize) -> *mut c_void {
        let before = usable(old);
        let p = checked(unsafe { libc::realloc(old, size) }, size);
        add(usable(p) - before);
        p
    }

    unsafe extern "C" fn free(p: *mut c_void) {
        add(-usable(p));
        unsafe { libc::free(p) };
    }

    /// Installs the counting allocator, once per process, before the first
    /// parser exists (every tree-sitter object of the engine is made after
    /// this, in `mod.rs`).
    pub fn install() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let allocator = tree_sitter::Allocator { malloc, calloc, realloc, free };
            // Safety: one libc family; never null for a non-zero size (abort
            // instead); libc's alignment; called once, before any parser of
            // the engine exists, and `Once` keeps other threads out meanwhile.
            unsafe { tree_sitter::set_allocator(Some(allocator)) };
        });
    }

    pub fn live() -> i64 {
        LIVE.try_with(Cell::get).unwrap_or(0)
    }
}

#[cfg(not(target_os = "linux"))]
mod counting {
    pub fn install() {}

    pub fn live() -> i64 {
        0
    }
}

use counting::install;
pub(super) use counting::live;
