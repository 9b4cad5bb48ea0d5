//! What tree-sitter holds, counted per thread, so a parse can be cancelled
//! before a hostile file costs hundreds of times its size.
//!
//! The parse budget in `mod.rs` bounds work; this bounds memory. On
//! pathological text (a megabyte of `[`, `'` or `#`) every byte becomes an
//! error node and tree-sitter's stacks hold 100–250 bytes per byte of the
//! file. tree-sitter lets the allocator be replaced ([`tree_sitter::set_allocator`]):
//! the replacement is libc's own family, plus a per-thread count of the
//! bytes live (by `malloc_usable_size`), which the progress callback
//! compares with the file's allowance.
//!
//! Linux (glibc and musl have `malloc_usable_size`) only; elsewhere the
//! count stays 0 and only the work budget applies.

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

pub(super) use counting::{install, live};
