//! Work over every file on every core, and the scan's phase timings.

use super::FileId;

/// `f` over `items` on every core (the state is read-only here), in order.
/// Threads take small batches as they go, so one slow part (big files, a
/// cold disk) does not leave the other cores idle.
pub(super) fn parallel_map<T: Send>(items: &[FileId], f: impl Fn(FileId) -> T + Sync) -> Vec<T> {
    const BATCH: usize = 256;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || items.len() < 4 * BATCH {
        return items.iter().map(|&i| f(i)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut batches: Vec<(usize, Vec<T>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (f, next) = (&f, &next);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(part) = items.chunks(BATCH).nth(b) else { break };
                        done.push((b, part.iter().map(|&i| f(i)).collect::<Vec<T>>()));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    batches.sort_unstable_by_key(|(b, _)| *b);
    batches.into_iter().flat_map(|(_, v)| v).collect()
}

/// Phase timings of a scan, printed to stderr when `ASSETRY_TIMINGS` is set
/// (for benchmarks and profiling; silent otherwise).
pub(super) struct Timings(Option<std::cell::Cell<(std::time::Instant, std::time::Duration)>>);

impl Timings {
    pub(super) fn start() -> Self {
        let cpu = || crate::walk::process_cpu_time().unwrap_or_default();
        Timings(std::env::var_os("ASSETRY_TIMINGS").map(|_| std::cell::Cell::new((std::time::Instant::now(), cpu()))))
    }

    /// Prints the wall time of the phase just ended, and the CPU time the
    /// whole process spent in it (all threads).
    pub(super) fn lap(&self, phase: &str) {
        if let Some(t) = &self.0 {
            let (now, cpu) = (std::time::Instant::now(), crate::walk::process_cpu_time().unwrap_or_default());
            let (then, cpu_then) = t.get();
            eprintln!(
                "timing: {phase} {:.1} ms (cpu {:.1} ms)",
                (now - then).as_secs_f64() * 1000.0,
                (cpu.saturating_sub(cpu_then)).as_secs_f64() * 1000.0
            );
            t.set((now, cpu));
        }
    }
}
