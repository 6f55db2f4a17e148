//! Timing: alternate monotable and raw samples, take the medians, print the ratio.

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

/// Operations run between two clock reads.
const BATCH: u64 = 32;

/// One line of the report.
pub struct Line {
    pub section: &'static str,
    pub row: String,
    /// What the ratio compares: "time", "cpu" or "throughput".
    pub metric: &'static str,
    pub mono: f64,
    pub raw: f64,
    /// Ratio of each round's samples, for the spread.
    pub rounds: Vec<f64>,
    pub goal: &'static str,
}

impl Line {
    pub fn ratio(&self) -> f64 {
        self.mono / self.raw
    }
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Runs `rounds` samples of each side, alternating which goes first, and returns the
/// medians and the per-round ratios.
pub fn compare(
    rounds: usize,
    mut mono: impl FnMut() -> f64,
    mut raw: impl FnMut() -> f64,
) -> (f64, f64, Vec<f64>) {
    let (mut m, mut r, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (a, b) = if round % 2 == 0 {
            let a = mono();
            (a, raw())
        } else {
            let b = raw();
            (mono(), b)
        };
        m.push(a);
        r.push(b);
        ratios.push(a / b);
    }
    (median(m), median(r), ratios)
}

/// Nanoseconds per call of `op`, called for at least `budget`.
pub fn time_sync(budget: Duration, mut op: impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    let mut n = 0;
    loop {
        for _ in 0..BATCH {
            op(black_box(n));
            n += 1;
        }
        if start.elapsed() >= budget {
            return start.elapsed().as_nanos() as f64 / n as f64;
        }
    }
}

/// Nanoseconds per call of `op`, awaited in turn inside one spawned task (as an application's
/// handler would), for at least `budget`.
pub fn time_async<F, Fut>(rt: &Runtime, budget: Duration, op: Arc<F>) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            let mut n = 0;
            loop {
                for _ in 0..BATCH {
                    op(n).await;
                    n += 1;
                }
                if start.elapsed() >= budget {
                    return start.elapsed().as_nanos() as f64 / n as f64;
                }
            }
        })
        .await
        .expect("benchmark task")
    })
}

/// Nanoseconds of this process's CPU time (all threads).
pub fn cpu_now() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A deterministic scramble of `n` (splitmix64), for spreading keys over the table.
pub fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn print(lines: &[Line]) {
    println!();
    println!(
        "| section | row | metric | monotable | raw | monotable ÷ raw | spread of rounds | goal |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | --- | --- |");
    for l in lines {
        let (lo, hi) = l
            .rounds
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        println!(
            "| {} | {} | {} | {} | {} | {:.2} | {:.2}–{:.2} | {} |",
            l.section,
            l.row,
            l.metric,
            show(l.metric, l.mono),
            show(l.metric, l.raw),
            l.ratio(),
            lo,
            hi,
            l.goal
        );
    }
}

fn show(metric: &str, x: f64) -> String {
    match metric {
        "throughput" => format!("{x:.0}/s"),
        "bytes" => format!("{x:.0} B"),
        _ if x >= 10_000.0 => format!("{:.1} µs", x / 1000.0),
        _ => format!("{x:.0} ns"),
    }
}
