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

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Bytes a file's parses may hold per byte of the file on their own: the
/// project's memory bound is 10 times its size, whatever the files hold.
const OWN_PER_BYTE: i64 = 10;
/// What a file's parses may hold beyond 10 bytes per byte while holding
/// one of [`FLOOR_SLOTS`]: real code holds about 22 bytes per byte
/// (below), so almost every file needs some, and files up to about 85 KiB
/// need no more.
const FLOOR_BYTES: i64 = 1024 * 1024;
/// How many files may hold their floor at once: as many parses as the
/// engine runs on CPU elsewhere (`project/parallel.rs` takes at most 8
/// threads), however many reader threads wait for the disk; a fixed
/// number, so that what the floors add to a check is fixed too.
const FLOOR_SLOTS: usize = 8;
/// What one file at a time may hold beyond its own part and its floor. On
/// Bevy's whole repository (1,110 files of 4 KiB or more, 21.5 MB) the
/// parses of a file hold 21.7 bytes per byte in all and 87.4 at most (a
/// small UI example); 28 files need some, 1.7 MiB at most
/// (`tests::memory_per_byte_of_real_code` measures it). Generated systems
/// that load and spawn hold 33 per byte: a megabyte of them (the most a
/// game-code file may have) needs 22 MiB of this. A megabyte of `[` would
/// hold about 250 MiB.
pub(super) const SHARED_BYTES: i64 = 32 * 1024 * 1024;

/// The floors taken, and a signal when one is given back.
static FLOORS: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

/// The shared part: one file holds it at a time.
static SHARED: Mutex<()> = Mutex::new(());

/// One of [`FLOOR_SLOTS`], given back when dropped.
struct Floor;

impl Floor {
    fn take() -> Floor {
        let (taken, given_back) = &FLOORS;
        let mut n = taken.lock().unwrap_or_else(PoisonError::into_inner);
        while *n >= FLOOR_SLOTS {
            n = given_back.wait(n).unwrap_or_else(PoisonError::into_inner);
        }
        *n += 1;
        Floor
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        let (taken, given_back) = &FLOORS;
        *taken.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        given_back.notify_one();
    }
}

/// What one file's parses (its own and its macro bodies', all counted
/// together from the start of the file) may hold at once: `10 × len` on
/// their own, 1 MiB more while holding a floor, and [`SHARED_BYTES`] more
/// while also holding the shared part. Each is held from the moment the
/// parses cross the part before it until the file's trees are dropped (a
/// finished tree still holds its bytes). So a check holds at most 10 times
/// the project, plus 8 MiB of floors, plus 32 MiB once.
///
/// Waiting for a floor or the shared part never changes a verdict: a file
/// is cancelled only past all three, whatever other threads parse
/// meanwhile. Nor can it deadlock: the shared part is asked for only while
/// holding a floor, and a holder gives both back once its file is parsed
/// and walked, waiting for nothing else.
pub(super) struct Allowance {
    /// What this thread's tree-sitter held when the file began.
    start: i64,
    own: i64,
    shared: Option<MutexGuard<'static, ()>>,
    floor: Option<Floor>,
    /// The most the file's parses were seen to hold (for measurements).
    #[cfg(test)]
    pub(super) peak: i64,
}

impl Allowance {
    /// What a file of `len` bytes may hold without the shared part.
    #[cfg(test)]
    pub(super) fn before_shared(len: usize) -> i64 {
        OWN_PER_BYTE.saturating_mul(len as i64).saturating_add(FLOOR_BYTES)
    }

    pub(super) fn for_len(len: usize) -> Self {
        install();
        Allowance {
            start: live(),
            own: OWN_PER_BYTE.saturating_mul(len as i64),
            shared: None,
            floor: None,
            #[cfg(test)]
            peak: 0,
        }
    }

    /// No bound (for measurements).
    #[cfg(test)]
    pub(super) fn unbounded() -> Self {
        install();
        Allowance { start: live(), own: i64::MAX / 4, shared: None, floor: None, peak: 0 }
    }

    /// Whether the file's parses may go on holding what they hold now;
    /// past each part this waits for the next.
    pub(super) fn allows_now(&mut self) -> bool {
        let held = live() - self.start;
        #[cfg(test)]
        {
            self.peak = self.peak.max(held);
        }
        if held <= self.own {
            return true;
        }
        if self.floor.is_none() {
            self.floor = Some(Floor::take());
        }
        if held <= self.own + FLOOR_BYTES {
            return true;
        }
        if self.shared.is_none() {
            self.shared = Some(SHARED.lock().unwrap_or_else(PoisonError::into_inner));
        }
        held <= self.own + FLOOR_BYTES + SHARED_BYTES
    }

    /// Whether the file needed the shared part (then the thread's parser,
    /// whose buffers may have grown with it, is not kept for the next file).
    pub(super) fn needed_the_shared_part(&self) -> bool {
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
