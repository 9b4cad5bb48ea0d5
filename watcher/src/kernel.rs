//! The operating system's change notification, one watch per folder.
//!
//! On Linux this is inotify, used directly rather than through `notify`:
//! the mask leaves out opens, reads and closes-without-write, so the engine
//! reading every file of a 100,000-asset project produces no event at all
//! (notify 8 subscribes to opens, which floods its queue during a scan).
//! Elsewhere the `notify` crate watches each root recursively (FSEvents on
//! macOS, ReadDirectoryChangesW on Windows), mapped onto the same per-folder
//! model; [`Backend::Poll`] lists folders on a timer (network file systems).

use std::io;
use std::path::Path;
use std::time::Duration;

/// One event, with the folder watch it came from.
#[derive(Debug, Clone)]
pub struct KernelEvent {
    pub watch: i32,
    pub kind: Kind,
    pub name: Option<std::ffi::OsString>,
    pub is_dir: bool,
    pub cookie: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Created,
    Modified,
    Deleted,
    MovedFrom,
    MovedTo,
    /// The watched folder itself was deleted.
    SelfDeleted,
    /// The watched folder itself was moved.
    SelfMoved,
    /// The kernel dropped the watch (folder gone, file system unmounted).
    Ignored,
    /// The kernel queue overflowed: events were lost.
    Overflow,
}

/// Why a folder could not be watched.
#[derive(Debug)]
pub enum AddError {
    /// The per-user watch limit (or the configured budget) is exhausted.
    Limit,
    /// The folder vanished or cannot be read.
    Io(io::Error),
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};
    use std::collections::HashMap;
    use std::os::fd::AsRawFd;
    use std::sync::Arc;

    pub struct Kernel {
        inotify: Inotify,
        descriptors: HashMap<i32, WatchDescriptor>,
        buffer: Vec<u8>,
        wake: Arc<WakeFd>,
    }

    fn mask() -> WatchMask {
        WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::MODIFY
            | WatchMask::CLOSE_WRITE
            | WatchMask::ATTRIB
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF
            | WatchMask::ONLYDIR
            // Symlinks are followed: the engine's walk follows them, so an
            // asset root that is a link to a shared folder is watched too.
            | WatchMask::EXCL_UNLINK
    }

    impl Kernel {
        pub fn new() -> io::Result<Kernel> {
            Ok(Kernel {
                inotify: Inotify::init()?,
                descriptors: HashMap::new(),
                // Room for ~1000 events per read; a storm drains in few syscalls.
                buffer: vec![0; 64 * 1024],
                wake: Arc::new(WakeFd::new()?),
            })
        }

        pub fn add(&mut self, dir: &Path) -> Result<i32, AddError> {
            match self.inotify.watches().add(dir, mask()) {
                Ok(wd) => {
                    let id = wd.get_watch_descriptor_id();
                    self.descriptors.insert(id, wd);
                    Ok(id)
                }
                // ENOSPC is how inotify_add_watch reports max_user_watches.
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => Err(AddError::Limit),
                Err(e) => Err(AddError::Io(e)),
            }
        }

        pub fn remove(&mut self, watch: i32) {
            if let Some(wd) = self.descriptors.remove(&watch) {
                // EINVAL here means the kernel already dropped it: fine.
                let _already_gone = self.inotify.watches().remove(wd);
            }
        }

        pub fn forget(&mut self, watch: i32) {
            self.descriptors.remove(&watch);
        }

        /// A handle other threads use to interrupt [`Kernel::wait`].
        pub fn waker(&self) -> Waker {
            Waker(self.wake.clone())
        }

        /// Waits up to `timeout` for events; returns whether to keep going
        /// (false once woken by the waker).
        pub fn wait(&mut self, timeout: Duration, out: &mut Vec<KernelEvent>) -> io::Result<bool> {
            let mut fds = [
                libc::pollfd { fd: self.inotify.as_raw_fd(), events: libc::POLLIN, revents: 0 },
                libc::pollfd { fd: self.wake.fd, events: libc::POLLIN, revents: 0 },
            ];
            // ppoll, not poll: a millisecond timeout would wake a batch up to
            // 1 ms late, or spin until its deadline.
            let timeout = timeout.min(Duration::from_secs(86_400));
            let ts = libc::timespec { tv_sec: timeout.as_secs() as libc::time_t, tv_nsec: timeout.subsec_nanos() as _ };
            // SAFETY: `fds` is a valid array of two pollfd and `ts` a valid
            // timespec for the duration of the call; no signal mask is passed.
            let n = unsafe { libc::ppoll(fds.as_mut_ptr(), 2, &ts, std::ptr::null()) };
            if n < 0 {
                let err = io::Error::last_os_error();
                return if err.kind() == io::ErrorKind::Interrupted { Ok(true) } else { Err(err) };
            }
            if fds[1].revents != 0 {
                self.wake.reset();
                return Ok(false);
            }
            if fds[0].revents != 0 {
                self.drain(out)?;
            }
            Ok(true)
        }

        fn drain(&mut self, out: &mut Vec<KernelEvent>) -> io::Result<()> {
            loop {
                let events = match self.inotify.read_events(&mut self.buffer) {
                    Ok(events) => events,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                for event in events {
                    let m = event.mask;
                    let kind = if m.contains(EventMask::Q_OVERFLOW) {
                        Kind::Overflow
                    } else if m.contains(EventMask::IGNORED) {
                        Kind::Ignored
                    } else if m.contains(EventMask::CREATE) {
                        Kind::Created
                    } else if m.contains(EventMask::DELETE) {
                        Kind::Deleted
                    } else if m.contains(EventMask::MOVED_FROM) {
                        Kind::MovedFrom
                    } else if m.contains(EventMask::MOVED_TO) {
                        Kind::MovedTo
                    } else if m.contains(EventMask::DELETE_SELF) {
                        Kind::SelfDeleted
                    } else if m.contains(EventMask::MOVE_SELF) {
                        Kind::SelfMoved
                    } else if m.intersects(EventMask::MODIFY | EventMask::CLOSE_WRITE | EventMask::ATTRIB) {
                        Kind::Modified
                    } else {
                        continue;
                    };
                    out.push(KernelEvent {
                        watch: event.wd.get_watch_descriptor_id(),
                        kind,
                        name: event.name.map(|n| n.to_owned()),
                        is_dir: m.contains(EventMask::ISDIR),
                        cookie: event.cookie,
                    });
                }
            }
        }
    }

    struct WakeFd {
        fd: i32,
    }

    impl WakeFd {
        fn new() -> io::Result<WakeFd> {
            // SAFETY: plain syscall; the result is checked.
            let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
            if fd < 0 { Err(io::Error::last_os_error()) } else { Ok(WakeFd { fd }) }
        }
    }

    impl WakeFd {
        /// Empties the eventfd, so the next wait blocks again (a wake may
        /// be a settle request, after which the thread goes on).
        fn reset(&self) {
            let mut count: u64 = 0;
            // SAFETY: reads at most 8 bytes into a valid u64; the fd is
            // non-blocking, so an empty eventfd returns EAGAIN at once.
            unsafe { libc::read(self.fd, (&mut count as *mut u64).cast(), 8) };
        }
    }

    impl Drop for WakeFd {
        fn drop(&mut self) {
            // SAFETY: we own `fd`; nothing uses it after drop.
            unsafe { libc::close(self.fd) };
        }
    }

    /// Interrupts the watcher thread's wait; shares ownership of the eventfd
    /// so waking a thread that already ended writes to nothing else.
    #[derive(Clone)]
    pub struct Waker(Arc<WakeFd>);

    impl Waker {
        pub fn wake(&self) {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a valid u64 to an eventfd.
            unsafe { libc::write(self.0.fd, (&one as *const u64).cast(), 8) };
        }
    }
}

/// Which notification mechanism watches the folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// inotify on Linux (one watch per folder, no open/read events), the
    /// `notify` crate elsewhere.
    #[default]
    Native,
    /// The `notify` crate on every platform, one recursive watch per root.
    /// On Linux it is for tests: it subscribes to file opens, and a file
    /// written in a brand-new folder before notify's own thread watches that
    /// folder can be missed.
    Notify,
    /// No notification: every folder is listed every `poll_interval`
    /// (for network file systems, where change notification does not work).
    Poll,
}

pub enum Kernel {
    #[cfg(target_os = "linux")]
    Inotify(imp::Kernel),
    Portable(crate::portable::Kernel),
}

#[derive(Clone)]
pub enum Waker {
    #[cfg(target_os = "linux")]
    Inotify(imp::Waker),
    Portable(crate::portable::Waker),
}

impl Waker {
    pub fn wake(&self) {
        match self {
            #[cfg(target_os = "linux")]
            Waker::Inotify(w) => w.wake(),
            Waker::Portable(w) => w.wake(),
        }
    }
}

impl Kernel {
    pub fn new(backend: Backend) -> io::Result<Kernel> {
        match backend {
            #[cfg(target_os = "linux")]
            Backend::Native => Ok(Kernel::Inotify(imp::Kernel::new()?)),
            #[cfg(not(target_os = "linux"))]
            Backend::Native => Ok(Kernel::Portable(crate::portable::Kernel::new(true)?)),
            Backend::Notify => Ok(Kernel::Portable(crate::portable::Kernel::new(true)?)),
            Backend::Poll => Ok(Kernel::Portable(crate::portable::Kernel::new(false)?)),
        }
    }

    /// Whether folders are watched at all (false: everything is polled).
    pub fn notifies(&self) -> bool {
        match self {
            #[cfg(target_os = "linux")]
            Kernel::Inotify(_) => true,
            Kernel::Portable(k) => k.notifies(),
        }
    }

    /// Watches `dir`; `recursive` is a hint that everything under it is
    /// wanted (a backend that watches whole trees uses it, inotify does not).
    pub fn add(&mut self, dir: &Path, recursive: bool) -> Result<i32, AddError> {
        match self {
            #[cfg(target_os = "linux")]
            Kernel::Inotify(k) => {
                let _ = recursive;
                k.add(dir)
            }
            Kernel::Portable(k) => k.add(dir, recursive),
        }
    }

    pub fn remove(&mut self, watch: i32) {
        match self {
            #[cfg(target_os = "linux")]
            Kernel::Inotify(k) => k.remove(watch),
            Kernel::Portable(k) => k.remove(watch),
        }
    }

    pub fn forget(&mut self, watch: i32) {
        match self {
            #[cfg(target_os = "linux")]
            Kernel::Inotify(k) => k.forget(watch),
            Kernel::Portable(k) => k.forget(watch),
        }
    }

    /// A watched folder moved from `from` to `to` (path-based backends
    /// re-key their own maps; inotify follows the inode by itself).
    pub fn renamed(&mut self, from: &Path, to: &Path) {
        match self {
            #[cfg(target_os = "linux")]
            Kernel::Inotify(_) => {}
            Kernel::Portable(k) => k.renamed(from, to),
        }
    }

    pub fn waker(&self) -> Waker {
        match self {
            #[cfg(target_os = "linux")]
            Kernel::Inotify(k) => Waker::Inotify(k.waker()),
            Kernel::Portable(k) => Waker::Portable(k.waker()),
        }
    }

    pub fn wait(&mut self, timeout: Duration, out: &mut Vec<KernelEvent>) -> io::Result<bool> {
        match self {
            #[cfg(target_os = "linux")]
            Kernel::Inotify(k) => k.wait(timeout, out),
            Kernel::Portable(k) => k.wait(timeout, out),
        }
    }
}
