//! The machine a bench ran on, printed beside its figures so that runs on other machines can be
//! compared: the CPU's model and count (from `/proc/cpuinfo`), and the time of a fixed
//! calibration loop (integer mixing, 200 million rounds, single-threaded) — divide a figure by
//! the ratio of two machines' calibration times to compare them. Shared by the bench binaries
//! (`#[path]`-included).

use std::time::Instant;

/// The CPU's model name and the number of CPUs the OS shows.
pub fn cpu() -> (String, usize) {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let count = std::thread::available_parallelism().map_or(1, usize::from);
    (model, count)
}

/// Milliseconds of the fixed calibration loop (best of three).
pub fn calibration_ms() -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..200_000_000_u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x = x.wrapping_add(i);
        }
        std::hint::black_box(x);
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    best
}

/// Prints the machine's line: `machine: MODEL × N CPUs; calibration loop X ms`.
pub fn print() {
    let (model, count) = cpu();
    println!(
        "machine: {model} × {count} CPUs; calibration loop {:.0} ms (200 M xorshift rounds, best of 3)",
        calibration_ms()
    );
}
