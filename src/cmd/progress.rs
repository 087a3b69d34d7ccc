//! Progress of long work: a progress bar when stderr is a terminal, else (CI logs, `| tee`) a
//! heartbeat line every few seconds with done/total, failures so far, rate and time left, so
//! long work is never silent. Lives outside every world: it reads the wall clock and runs
//! its own thread.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Seconds between heartbeat lines; `SPLITBRAIN_HEARTBEAT_MS` overrides it.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// What is counted and how far it has got.
struct Counts {
    label: String,
    unit: &'static str,
    total: u64,
    done: AtomicU64,
    failed: AtomicU64,
    start: Instant,
}

impl Counts {
    /// `explore: 1200/10000 seeds, 3 failed, 410 seeds/s, 21 s left (42 s so far)`.
    fn line(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        let secs = self.start.elapsed().as_secs_f64();
        let rate = done as f64 / secs.max(1e-3);
        let left = if done == 0 {
            "time left unknown".to_string()
        } else {
            format!(
                "{:.0} s left",
                self.total.saturating_sub(done) as f64 / rate
            )
        };
        format!(
            "{}: {done}/{} {}, {failed} failed, {rate:.1} {}/s, {left} ({secs:.0} s so far)",
            self.label, self.total, self.unit, self.unit
        )
    }
}

/// The stop signal of the heartbeat thread.
type Stop = Arc<(Mutex<bool>, Condvar)>;

/// A progress display for `total` units of work.
pub struct Progress {
    counts: Arc<Counts>,
    bar: Option<ProgressBar>,
    heartbeat: Option<(Stop, std::thread::JoinHandle<()>)>,
}

impl Progress {
    /// Nothing with `-q`, else a bar on a terminal, else heartbeat lines on stderr.
    pub fn start(label: &str, unit: &'static str, total: u64) -> Progress {
        if super::common::quiet() {
            Progress {
                counts: Progress::counts(label, unit, total),
                bar: None,
                heartbeat: None,
            }
        } else if std::io::stderr().is_terminal() {
            Progress::with_bar(label, unit, total)
        } else {
            Progress::with_heartbeat(label, unit, total, interval(), Box::new(std::io::stderr()))
        }
    }

    fn counts(label: &str, unit: &'static str, total: u64) -> Arc<Counts> {
        Arc::new(Counts {
            label: label.to_string(),
            unit,
            total,
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            start: wall_now(),
        })
    }

    fn with_bar(label: &str, unit: &'static str, total: u64) -> Progress {
        let bar = ProgressBar::new(total);
        let template = format!("{label} {{bar:40}} {{pos}}/{{len}} {unit} {{per_sec}} eta {{eta}}");
        bar.set_style(ProgressStyle::with_template(&template).expect("template"));
        Progress {
            counts: Progress::counts(label, unit, total),
            bar: Some(bar),
            heartbeat: None,
        }
    }

    /// Heartbeat lines to `out`: one now, then one every `every` until finished.
    pub fn with_heartbeat(
        label: &str,
        unit: &'static str,
        total: u64,
        every: Duration,
        mut out: Box<dyn Write + Send>,
    ) -> Progress {
        let counts = Progress::counts(label, unit, total);
        let _ = writeln!(
            out,
            "{label}: {total} {unit} to run; a progress line every {:.1} s",
            every.as_secs_f64()
        );
        let stop: Stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (c, s) = (counts.clone(), stop.clone());
        let handle = spawn_outside_worlds(move || beat(&c, &s, every, &mut out));
        Progress {
            counts,
            bar: None,
            heartbeat: Some((stop, handle)),
        }
    }

    /// `n` more units done, `failed` of them failures.
    pub fn advance(&self, n: u64, failed: u64) {
        self.counts.done.fetch_add(n, Ordering::Relaxed);
        self.counts.failed.fetch_add(failed, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Stops the display (a final heartbeat line says where it ended).
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if let Some((stop, handle)) = self.heartbeat.take() {
            let (lock, wake) = &*stop;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
            wake.notify_all();
            let _ = handle.join(); // the thread only prints; nothing to recover
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The heartbeat thread: a line every `every`, and one when stopped.
fn beat(counts: &Counts, stop: &Stop, every: Duration, out: &mut dyn Write) {
    let (lock, wake) = &**stop;
    let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
    // The flag is read before every wait: a stop signalled before this thread first took the
    // lock has no waiter to wake, and waiting anyway held the command's exit for an interval.
    while !*stopped {
        let (guard, timeout) = wake
            .wait_timeout(stopped, every)
            .unwrap_or_else(|e| e.into_inner());
        stopped = guard;
        if timeout.timed_out() && !*stopped {
            let _ = writeln!(out, "{}", counts.line());
        }
    }
    let _ = writeln!(out, "{}", counts.line());
}

/// The heartbeat interval: 5 s, or `SPLITBRAIN_HEARTBEAT_MS`.
fn interval() -> Duration {
    std::env::var("SPLITBRAIN_HEARTBEAT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(HEARTBEAT, Duration::from_millis)
}

/// The wall clock, read outside every world (progress display only).
#[allow(clippy::disallowed_methods)]
fn wall_now() -> Instant {
    Instant::now()
}

/// A display thread: it never runs a world, so the determinism rules do not concern it.
#[allow(clippy::disallowed_methods)]
fn spawn_outside_worlds(f: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::spawn(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn finishing_at_once_does_not_wait_for_the_first_heartbeat() {
        // A check of a small file finishes before the heartbeat thread has started; the
        // command must still exit then, not one interval (an hour here) later.
        let (done, finished) = std::sync::mpsc::channel();
        spawn_outside_worlds(move || {
            for _ in 0..200 {
                let hour = Duration::from_secs(3600);
                Progress::with_heartbeat("check", "files", 1, hour, Box::new(Shared::default()))
                    .finish();
            }
            let _ = done.send(());
        });
        let waited = finished.recv_timeout(Duration::from_secs(120));
        assert!(waited.is_ok(), "finish() waited for a heartbeat interval");
    }

    #[test]
    fn without_a_terminal_progress_is_a_line_at_start_every_interval_and_at_the_end() {
        let out = Shared::default();
        let p = Progress::with_heartbeat(
            "explore",
            "seeds",
            10,
            Duration::from_millis(5),
            Box::new(out.clone()),
        );
        p.advance(4, 1);
        let seen = || String::from_utf8_lossy(&out.0.lock().unwrap()).into_owned();
        while !seen().contains("explore: 4/10 seeds, 1 failed") {
            std::thread::yield_now(); // until a periodic line shows the progress so far
        }
        p.advance(6, 0);
        p.finish();
        let text = String::from_utf8_lossy(&out.0.lock().unwrap()).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("10 seeds to run"), "{text}");
        assert!(
            lines
                .last()
                .unwrap()
                .starts_with("explore: 10/10 seeds, 1 failed"),
            "{text}"
        );
    }
}
