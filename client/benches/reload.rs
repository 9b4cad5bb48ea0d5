//! Hot-reload latency: the time from a file write (stamped when the write
//! returns) to the changeset holding that file at each connected client,
//! through the real `assetry watch` and the real client crate. Prints
//! figures, asserts nothing (BENCHMARKS.md, "Hot reload").
//!
//! ```sh
//! cargo build --release -p assetry
//! cargo bench -p assetry-client --bench reload -- --assetry target/release/assetry \
//!     --project /tmp/rl-bench --file assets/x/y.png [--saves 200] [--clients 1]
//! ```
//!
//! `--project` is copied to a scratch folder first (with `[reload] address`
//! set to a free loopback port), so the original is never written. The
//! saved file is rewritten in place: a PNG gets a new pixel row colour (a
//! valid image each time), any other file a changing last line. Between
//! saves: 40 ms plus a pseudo-random 0–40 ms, so saves land at every phase
//! of the watcher's 10 ms coalescing window.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assetry_client::{Client, Update};

struct Args {
    assetry: PathBuf,
    project: PathBuf,
    file: String,
    saves: usize,
    clients: usize,
}

fn main() {
    let args = parse();
    let scratch = std::env::temp_dir().join(format!("assetry-reload-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    copy_tree(&args.project, &scratch);
    let toml = scratch.join("assetry.toml");
    let mut config = std::fs::read_to_string(&toml).unwrap_or_default();
    config.push_str("\n[reload]\naddress = \"127.0.0.1:0\"\n");
    std::fs::write(&toml, config).expect("write assetry.toml");

    let mut child = Command::new(&args.assetry)
        .arg("watch")
        .arg(&scratch)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run assetry watch");
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let started = Instant::now();
    wait_line(&err, |l| l.starts_with("note: hot reload on "));
    wait_line(&out, |l| l.starts_with("processing: "));
    let first_run = started.elapsed();

    // One thread per client: each reports (client, path, time) per changeset entry.
    let (tx, rx) = mpsc::channel::<(usize, String, Instant)>();
    let mut clients = Vec::new();
    for i in 0..args.clients {
        let client = Client::discover(&scratch).expect("connect");
        let tx = tx.clone();
        clients.push(std::thread::spawn(move || {
            for update in client.updates() {
                if let Update::Changeset { changes, .. } = update {
                    let at = Instant::now();
                    for c in changes {
                        if tx.send((i, c.path, at)).is_err() {
                            return;
                        }
                    }
                }
            }
        }));
    }

    let target = scratch.join(&args.file);
    let original = std::fs::read(&target).expect("the file to save");
    let mut each = Vec::with_capacity(args.saves * args.clients);
    let mut worst = Vec::with_capacity(args.saves);
    let mut missed = 0;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for n in 0..args.saves {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(40 + seed % 40));
        std::fs::write(&target, edited(&original, &args.file, n)).expect("save");
        let t0 = Instant::now();
        let mut heard = vec![false; args.clients];
        let deadline = t0 + Duration::from_secs(5);
        let mut slowest = Duration::ZERO;
        while heard.iter().any(|h| !h) {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok((i, path, at)) if path == args.file && !heard[i] => {
                    heard[i] = true;
                    let d = at.duration_since(t0);
                    each.push(d);
                    slowest = slowest.max(d);
                }
                Ok(_) => {}
                Err(_) => {
                    missed += heard.iter().filter(|h| !**h).count();
                    break;
                }
            }
        }
        worst.push(slowest);
    }
    drop(child.stdin.take());
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&scratch);

    println!(
        "file {} ({} bytes), {} saves, {} client(s), first run {:.2} s",
        args.file,
        original.len(),
        args.saves,
        args.clients,
        first_run.as_secs_f64()
    );
    println!("  every client: {}", summary(&mut each));
    println!("  slowest client per save: {}", summary(&mut worst));
    println!("  missed: {missed}");
}

/// The file as saved the `n`th time.
fn edited(original: &[u8], name: &str, n: usize) -> Vec<u8> {
    if name.ends_with(".png") {
        let (w, h) = (8, 8);
        png(w, h, n as u8, (n / 256) as u8)
    } else if name.ends_with(".wgsl") {
        // A changed constant, not a comment: the composed shader changes too.
        let mut v = original.to_vec();
        v.extend_from_slice(format!("\nconst BENCH_SAVE: u32 = {n}u;\n").as_bytes());
        v
    } else {
        let mut v = original.to_vec();
        v.extend_from_slice(format!("\n{n}\n").as_bytes());
        v
    }
}

fn summary(v: &mut [Duration]) -> String {
    if v.is_empty() {
        return "no samples".to_owned();
    }
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(v[((v.len() - 1) as f64 * q).round() as usize]);
    format!(
        "min {:.1} / p50 {:.1} / p90 {:.1} / p99 {:.1} / max {:.1} ms ({} samples)",
        ms(v[0]),
        at(0.5),
        at(0.9),
        at(0.99),
        ms(v[v.len() - 1]),
        v.len()
    )
}

fn parse() -> Args {
    let mut it = std::env::args().skip(1);
    let mut args =
        Args { assetry: PathBuf::new(), project: PathBuf::new(), file: String::new(), saves: 200, clients: 1 };
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--assetry" => args.assetry = value().into(),
            "--project" => args.project = value().into(),
            "--file" => args.file = value(),
            "--saves" => args.saves = value().parse().expect("--saves N"),
            "--clients" => args.clients = value().parse().expect("--clients N"),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    if args.assetry.as_os_str().is_empty() || args.project.as_os_str().is_empty() || args.file.is_empty() {
        eprintln!("usage: reload --assetry BIN --project DIR --file REL [--saves N] [--clients N]");
        std::process::exit(2);
    }
    // `cargo bench` runs in the package's folder: relative paths are the caller's.
    args
}

fn lines(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            // Keep draining after the bench stops listening: a full pipe would stall the watch.
            let _ = tx.send(line);
        }
    });
    rx
}

fn wait_line(rx: &mpsc::Receiver<String>, pred: impl Fn(&str) -> bool) {
    loop {
        let line = rx.recv_timeout(Duration::from_secs(600)).expect("assetry watch went quiet");
        if pred(&line) {
            return;
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create scratch");
    for entry in std::fs::read_dir(from).expect("read project") {
        let entry = entry.expect("entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            if entry.file_name() != ".assetry" {
                copy_tree(&entry.path(), &dest);
            }
        } else {
            std::fs::copy(entry.path(), dest).expect("copy");
        }
    }
}

/// A valid RGBA PNG, stored (uncompressed) deflate.
fn png(w: u32, h: u32, a: u8, b: u8) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend_from_slice(&[a, b, (x * 30 + y) as u8, 255]);
        }
    }
    let mut z = vec![0x78, 0x01, 1];
    z.extend_from_slice(&(raw.len() as u16).to_le_bytes());
    z.extend_from_slice(&(!(raw.len() as u16)).to_le_bytes());
    z.extend_from_slice(&raw);
    let (mut s1, mut s2) = (1u32, 0u32);
    for &x in &raw {
        s1 = (s1 + u32::from(x)) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    z.extend_from_slice(&((s2 << 16) | s1).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(&b"IHDR"[..], &ihdr[..]), (b"IDAT", &z), (b"IEND", &[])] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = !0u32;
        for &byte in kind.iter().chain(data) {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { 0xEDB8_8320 ^ (crc >> 1) } else { crc >> 1 };
            }
        }
        out.extend_from_slice(&(!crc).to_be_bytes());
    }
    out
}
