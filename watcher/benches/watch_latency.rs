//! Watching benchmark: run on a generated project.
//!
//! ```text
//! python3 bench/gen_project.py --out /tmp/p100k --assets 100000 --seed 10
//! cargo bench -p assetry-watcher --bench watch_latency -- /tmp/p100k [--writes 200] [--storm 10000]
//! ```
//!
//! Prints, in order:
//! - the set-up cost of the watch after `Project::open` (watches from the
//!   engine's walked folders, and the watcher walking on its own), against
//!   the scan itself;
//! - how many events the watcher reads while the engine re-reads every file
//!   of the project (its own reads must not feed back);
//! - the time from a file write to the updated diagnostics (`Project::apply`
//!   returned the file's new diagnostics), p50/p99/max over `--writes` writes;
//! - the time a storm of `--storm` file creations (then removals) takes to
//!   settle, and the number of batches it became.
//!
//! The project is modified during the run and restored at the end.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use assetry_pipeline::Project;
use assetry_watcher::{WatchEvent, WatchOptions, Watcher};

struct Args {
    project: PathBuf,
    writes: usize,
    storm: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut project = None;
    let (mut writes, mut storm) = (200, 10_000);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let v = args.next().ok_or(format!("{name} needs a value"))?;
            v.parse().map_err(|_| format!("{name}: `{v}` is not a number"))
        };
        match arg.as_str() {
            "--writes" => writes = number("--writes")?,
            "--storm" => storm = number("--storm")?,
            // Cargo passes `--bench` to bench targets.
            "--bench" => {}
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            other => project = Some(PathBuf::from(other)),
        }
    }
    let project = project.ok_or("usage: watch_latency PROJECT_DIR [--writes N] [--storm N]")?;
    Ok(Args { project, writes, storm })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("watch_latency: {e}");
        std::process::exit(1);
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let mut project = Project::open(&args.project)?;
    let scan = t.elapsed();
    // As `assetry watch` and the server do once the first diagnostics are out.
    let t = Instant::now();
    project.prepare_for_changes();
    let prepare = t.elapsed();
    println!(
        "project: {} ({} assets, {} folders walked); scan {}, reverse index {}",
        project.root().display(),
        project.asset_count(),
        project.scan_dirs().len(),
        ms(scan),
        ms(prepare)
    );

    // --- set-up cost --------------------------------------------------------
    let rss_before = rss_kib();
    let t = Instant::now();
    let options = WatchOptions::for_project(&project, None);
    let options_time = t.elapsed();
    let t = Instant::now();
    let (walked_watcher, _rx) = Watcher::channel(options.clone())?;
    let walked_setup = t.elapsed();
    let rss_watch = rss_kib().saturating_sub(rss_before);
    let walked_dirs = walked_watcher.stats().watched_dirs;
    drop(walked_watcher);
    let mut own_walk = options.clone();
    own_walk.walked_dirs = None;
    let t = Instant::now();
    let (own_watcher, _rx2) = Watcher::channel(own_walk)?;
    let own_setup = t.elapsed();
    drop(own_watcher);
    println!(
        "watch set-up: {} from the engine's walked folders ({walked_dirs} watches, + {} collecting options; \
         {rss_watch} KiB more resident), {} walking on its own",
        ms(walked_setup),
        ms(options_time),
        ms(own_setup)
    );

    // Each event carries the moment the watcher handed it over, to tell the
    // watcher's share of the latency from the channel's and the engine's.
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, WatchEvent)>();
    let watcher = Watcher::start(options, move |event| {
        let _ = tx.send((Instant::now(), event));
    })?;

    // --- self-inflicted events ------------------------------------------------
    let before = watcher.stats();
    let t = Instant::now();
    let rescanned = Project::open(&args.project)?;
    let rescan = t.elapsed();
    drain(&rx, Duration::from_millis(300));
    let after = watcher.stats();
    println!(
        "self-inflicted: {} kernel events, {} batches while the engine re-read all {} assets ({})",
        after.events - before.events,
        after.batches - before.batches,
        rescanned.asset_count(),
        ms(rescan)
    );
    drop(rescanned);

    // --- write -> diagnostics latency -----------------------------------------
    let scenes: Vec<(String, String)> = project
        .files_by_path()
        .filter(|(p, _)| p.ends_with(".scene.json"))
        .map(|(p, _)| p.to_owned())
        .take(args.writes)
        .filter_map(|p| Some((p.clone(), std::fs::read_to_string(project.abs_path(&p)).ok()?)))
        .collect();
    let mut total = Vec::new();
    let mut delivery = Vec::new();
    let mut applying = Vec::new();
    let mut writing = Vec::new();
    let mut after_close = Vec::new();
    let mut restore = Vec::new();
    for (i, (rel, text)) in scenes.iter().enumerate() {
        let abs = project.abs_path(rel);
        // A reference that cannot resolve: the file's diagnostics must change.
        let broken = format!("{{\"bench_{i}\": \"bench/missing_{i}.png\", \"rest\": {text}}}");
        restore.push((abs.clone(), text.clone()));
        let t0 = Instant::now();
        std::fs::write(&abs, broken)?;
        writing.push(t0.elapsed());
        let mut got = false;
        while !got {
            match rx.recv_timeout(Duration::from_secs(5)) {
                Ok((handed, WatchEvent::Changes(batch))) => {
                    let t_batch = handed - t0;
                    let t_apply = Instant::now();
                    let changed = project.apply(batch);
                    applying.push(t_apply.elapsed());
                    if changed.iter().any(|f| f.path == *rel) {
                        total.push(t0.elapsed());
                        after_close.push(t0.elapsed().saturating_sub(*writing.last().unwrap_or(&Duration::ZERO)));
                        delivery.push(t_batch);
                        got = true;
                    }
                }
                Ok((_, WatchEvent::Notice(n))) => eprintln!("note: {n}"),
                Err(RecvTimeoutError::Timeout) => return Err(format!("no diagnostics for {rel} after 5 s").into()),
                Err(RecvTimeoutError::Disconnected) => return Err("watcher stopped".into()),
            }
        }
        // Let the next write start a batch of its own.
        std::thread::sleep(Duration::from_millis(15));
    }
    total.sort();
    delivery.sort();
    applying.sort();
    writing.sort();
    after_close.sort();
    println!(
        "write -> diagnostics over {} writes: from the start of the write p50 {}, p99 {}, max {}; \
         from its end (close) p50 {}, p99 {}",
        total.len(),
        ms(percentile(&total, 0.5)),
        ms(percentile(&total, 0.99)),
        ms(percentile(&total, 1.0)),
        ms(percentile(&after_close, 0.5)),
        ms(percentile(&after_close, 0.99)),
    );
    println!(
        "  of which: the write itself p50 {}, p99 {}; batch handed over by the watcher p50 {}, p99 {} \
         after the start; Project::apply p50 {}, p99 {}",
        ms(percentile(&writing, 0.5)),
        ms(percentile(&writing, 0.99)),
        ms(percentile(&delivery, 0.5)),
        ms(percentile(&delivery, 0.99)),
        ms(percentile(&applying, 0.5)),
        ms(percentile(&applying, 0.99)),
    );
    for (abs, text) in &restore {
        std::fs::write(abs, text)?;
    }
    settle(&rx, &mut project, Duration::from_millis(500));

    // --- storm ------------------------------------------------------------------
    let storm_root = project.root().join(&project.config().roots[0]).join("bench_storm");
    let pairs = args.storm / 2;
    let assets_before = project.asset_count();
    let t0 = Instant::now();
    for i in 0..pairs {
        let dir = storm_root.join(format!("d{}", i % 100));
        if i < 100 {
            std::fs::create_dir_all(&dir)?;
        }
        std::fs::write(dir.join(format!("s{i}.png")), b"png")?;
        std::fs::write(dir.join(format!("s{i}.png.meta")), format!("id = \"00000000-0000-4000-8000-{i:012}\"\n"))?;
    }
    let written = t0.elapsed();
    let (batches, last) = settle(&rx, &mut project, Duration::from_millis(1000));
    let settled = last.map_or(Duration::ZERO, |l| l - t0);
    let ok = project.asset_count() == assets_before + pairs;
    println!(
        "storm of {} created files: written in {}, settled {} after the first write ({} after the last), \
         {batches} batches, asset count {}",
        pairs * 2,
        ms(written),
        ms(settled),
        ms(settled.saturating_sub(written)),
        if ok { "right" } else { "WRONG" }
    );
    let t0 = Instant::now();
    std::fs::remove_dir_all(&storm_root)?;
    let written = t0.elapsed();
    let (batches, last) = settle(&rx, &mut project, Duration::from_millis(1000));
    let settled = last.map_or(Duration::ZERO, |l| l - t0);
    let ok = project.asset_count() == assets_before;
    println!(
        "storm of {} removed files: removed in {}, settled {} after the first removal, {batches} batches, \
         asset count {}",
        pairs * 2,
        ms(written),
        ms(settled),
        if ok { "right" } else { "WRONG" }
    );
    let stats = watcher.stats();
    println!(
        "watcher totals: {} kernel events, {} batches, {} overflows",
        stats.events, stats.batches, stats.overflows
    );
    Ok(())
}

/// Applies batches until none came for `quiet`; returns how many and when
/// the last one was applied.
fn settle(rx: &Receiver<(Instant, WatchEvent)>, project: &mut Project, quiet: Duration) -> (usize, Option<Instant>) {
    let (mut n, mut last) = (0, None);
    loop {
        match rx.recv_timeout(quiet) {
            Ok((_, WatchEvent::Changes(batch))) => {
                project.apply(batch);
                n += 1;
                last = Some(Instant::now());
            }
            Ok((_, WatchEvent::Notice(notice))) => eprintln!("note: {notice}"),
            Err(_) => return (n, last),
        }
    }
}

/// Resident memory of this process, from /proc (0 where unavailable).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn drain(rx: &Receiver<(Instant, WatchEvent)>, quiet: Duration) {
    while rx.recv_timeout(quiet).is_ok() {}
}
