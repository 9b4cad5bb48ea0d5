//! Spreading a run's work over threads. Work lists are in path order, so
//! neighbours share a folder; every file made in a folder takes that
//! folder's lock in the kernel, and two workers writing into one folder
//! wait on (or spin for) each other. So each worker walks its own
//! stretch of the list, and one that runs dry takes the back half of the
//! largest stretch left: the workers stay in different folders until the
//! very end, and an expensive item still never waits behind another
//! worker's queue.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Indexes `0..len` in `workers` contiguous stretches.
pub(super) struct Stretches {
    parts: Vec<Mutex<Range<usize>>>,
}

impl Stretches {
    pub(super) fn new(len: usize, workers: usize) -> Self {
        let workers = workers.max(1);
        let parts = (0..workers).map(|w| Mutex::new(len * w / workers..len * (w + 1) / workers)).collect();
        Stretches { parts }
    }

    /// The next index for worker `w` (`0..workers`): the front of its own
    /// stretch, else of the back half it takes from the largest one left.
    /// `None` once every stretch is empty. No two locks are ever held at
    /// once.
    pub(super) fn next(&self, w: usize) -> Option<usize> {
        let own = self.parts.get(w)?;
        if let Some(n) = take_front(own) {
            return Some(n);
        }
        loop {
            let (victim, left) = self
                .parts
                .iter()
                .enumerate()
                .map(|(i, p)| (i, p.lock().map_or(0, |r| r.len())))
                .max_by_key(|&(i, left)| (left, std::cmp::Reverse(i)))?;
            if left == 0 {
                return None;
            }
            let stolen = {
                let Ok(mut r) = self.parts[victim].lock() else { return None };
                if r.is_empty() {
                    // Emptied meanwhile: look again.
                    continue;
                }
                // The owner keeps the front half (at least nothing, when one is left).
                let keep = r.start + r.len() / 2;
                let stolen = keep..r.end;
                r.end = keep;
                stolen
            };
            let Ok(mut mine) = own.lock() else { return None };
            *mine = stolen.start + 1..stolen.end;
            return Some(stolen.start);
        }
    }
}

fn take_front(part: &Mutex<Range<usize>>) -> Option<usize> {
    let mut r = part.lock().ok()?;
    let n = r.next()?;
    Some(n)
}

/// Maps `f` over `items` on `jobs` threads, results in input order; items
/// are handed out 64 at a time (reading, not writing: no folder locks).
pub(super) fn parallel_map<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let chunk = 64;
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..jobs.clamp(1, items.len().div_ceil(chunk).max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let start = next.fetch_add(chunk, Ordering::Relaxed);
                        if start >= items.len() {
                            break;
                        }
                        for (i, item) in items.iter().enumerate().skip(start).take(chunk) {
                            out.push((i, f(item)));
                        }
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut all: Vec<(usize, R)> = parts.drain(..).flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every index exactly once, whatever the number of workers and however
    /// unevenly they go (one worker slow on every item: the others steal).
    #[test]
    fn every_index_once() {
        for (len, workers) in [(0, 1), (1, 4), (7, 2), (100, 3), (1000, 8), (5, 8)] {
            let s = Stretches::new(len, workers);
            let seen = Mutex::new(Vec::new());
            std::thread::scope(|scope| {
                for w in 0..workers {
                    let (s, seen) = (&s, &seen);
                    scope.spawn(move || {
                        while let Some(n) = s.next(w) {
                            if w == 0 {
                                std::thread::yield_now();
                            }
                            seen.lock().unwrap().push(n);
                        }
                    });
                }
            });
            let mut seen = seen.into_inner().unwrap();
            seen.sort_unstable();
            assert_eq!(seen, (0..len).collect::<Vec<_>>(), "len {len}, {workers} workers");
        }
    }

    /// One worker alone walks the list in order; two start at the fronts of
    /// its halves, and a worker that runs dry continues in the largest stretch.
    #[test]
    fn workers_walk_contiguous_stretches() {
        let s = Stretches::new(10, 1);
        assert_eq!(std::iter::from_fn(|| s.next(0)).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());

        let s = Stretches::new(10, 2);
        assert_eq!(s.next(0), Some(0));
        assert_eq!(s.next(1), Some(5));
        // Worker 1 finishes its stretch (6..10) alone.
        assert_eq!([s.next(1), s.next(1), s.next(1), s.next(1)], [Some(6), Some(7), Some(8), Some(9)]);
        // Then it takes the back half of worker 0's 1..5: 3 and 4.
        assert_eq!(s.next(1), Some(3));
        assert_eq!(s.next(0), Some(1));
        assert_eq!(s.next(0), Some(2));
        assert_eq!(s.next(1), Some(4));
        assert_eq!((s.next(0), s.next(1)), (None, None));
    }
}
