//! The figures of `splitbrain bench PROTOCOL` from its trials: each figure is the median over
//! the trials (the one trial's own with `--trials 1`), with its range over them when there
//! are several, as text or as one JSON object.

use serde_json::{json, Value};
use splitbrain_scenarios::Scenario;

/// One core's measurement: seconds for the whole seeds (world and check) and for the check
/// alone, with what the seeds simulated (the same in every trial: the runs are deterministic).
pub struct OneCore {
    pub secs: f64,
    pub check_secs: f64,
    pub events: u64,
    pub sim_us: u64,
}

/// One trial: the one-core pass, then the seconds of the all-cores pass.
pub struct Trial {
    pub one: OneCore,
    pub wide_secs: f64,
}

/// The derived figures of one trial, or of the trials' median times.
#[derive(Clone, Copy)]
struct Figures {
    ms_per_seed: f64,
    world_ms: f64,
    check_ms: f64,
    accel: f64,
    world_accel: f64,
    events_per_sec: f64,
    per_min: f64,
}

impl Figures {
    /// From a one-core time and check time, an all-cores time, and what the seeds simulated.
    fn of(secs: f64, check_secs: f64, wide_secs: f64, seeds: u64, one: &OneCore) -> Figures {
        let n = seeds as f64;
        let sim_s = one.sim_us as f64 / 1e6;
        let world_secs = secs - check_secs;
        Figures {
            ms_per_seed: secs * 1e3 / n,
            world_ms: world_secs * 1e3 / n,
            check_ms: check_secs * 1e3 / n,
            accel: sim_s / secs,
            world_accel: sim_s / world_secs,
            events_per_sec: one.events as f64 / world_secs,
            per_min: n / wide_secs * 60.0,
        }
    }
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The lowest and highest of `values`.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// What `bench` measured, ready to print.
pub struct Report<'a> {
    pub protocol: &'a str,
    pub scenario: &'a Scenario,
    /// The offline check's name, as the text report says it.
    pub checker: &'a str,
    pub seeds: u64,
    pub jobs: usize,
    pub runs: &'a [Trial],
}

impl Report<'_> {
    /// The figures of the median times over the trials.
    fn median(&self) -> Figures {
        let of = |f: fn(&Trial) -> f64| median(self.runs.iter().map(f).collect());
        Figures::of(
            of(|t| t.one.secs),
            of(|t| t.one.check_secs),
            of(|t| t.wide_secs),
            self.seeds,
            &self.runs[0].one,
        )
    }

    /// Each trial's own figures.
    fn each(&self) -> Vec<Figures> {
        let of = |t: &Trial| {
            Figures::of(
                t.one.secs,
                t.one.check_secs,
                t.wide_secs,
                self.seeds,
                &t.one,
            )
        };
        self.runs.iter().map(of).collect()
    }

    pub fn json(&self) -> Value {
        let m = self.median();
        let each = self.each();
        let (accel_lo, accel_hi) = range(each.iter().map(|f| f.accel));
        let (min_lo, min_hi) = range(each.iter().map(|f| f.per_min));
        json!({"protocol": self.protocol, "scenario": self.scenario.name, "seeds": self.seeds,
            "trials": self.runs.len(),
            "one_core": {"ms_per_seed": m.ms_per_seed, "world_ms_per_seed": m.world_ms,
                "check_ms_per_seed": m.check_ms, "world_events_per_sec": m.events_per_sec,
                "world_acceleration": m.world_accel, "acceleration": m.accel,
                "acceleration_range": [accel_lo, accel_hi],
                "events_per_seed": self.runs[0].one.events / self.seeds},
            "jobs": self.jobs, "seeds_per_min": m.per_min, "seeds_per_min_range": [min_lo, min_hi],
            "each_trial": each.iter().map(|f| json!({"acceleration": f.accel,
                "world_acceleration": f.world_accel, "seeds_per_min": f.per_min})).collect::<Vec<_>>()})
    }

    pub fn print(&self) {
        let (m, n) = (self.median(), self.seeds as f64);
        let one = &self.runs[0].one;
        let s = self.scenario;
        println!(
            "{} (standard shape: {} servers, {} clients, no per-seed draw): {} seeds, {:.0} events and {:.1} simulated s per seed",
            s.name,
            s.servers.map_or_else(|| "the protocol's".to_string(), |n| n.to_string()),
            s.clients,
            self.seeds,
            one.events as f64 / n,
            one.sim_us as f64 / 1e6 / n
        );
        let trials = self.runs.len();
        if trials > 1 {
            println!("medians of {trials} trials (one-core and all-cores passes in turn), ranges in brackets");
        }
        let each = self.each();
        let spread = |f: fn(&Figures) -> f64, unit: &str| {
            let (lo, hi) = range(each.iter().map(f));
            if trials > 1 {
                format!(" [{lo:.0}-{hi:.0}{unit}]")
            } else {
                String::new()
            }
        };
        println!(
            "one core:  simulation (world and online invariants) {:.2} ms/seed, {:.2} M events/s, {:.0}x simulated/wall{}",
            m.world_ms,
            m.events_per_sec / 1e6,
            m.world_accel,
            spread(|f| f.world_accel, "x")
        );
        println!(
            "           with the offline {} (+{:.2} ms) {:.2} ms/seed, {:.0}x simulated/wall{}",
            self.checker,
            m.check_ms,
            m.ms_per_seed,
            m.accel,
            spread(|f| f.accel, "x")
        );
        let wide = median(self.runs.iter().map(|t| t.wide_secs).collect());
        println!(
            "{} jobs:    {:.0} seeds/min ({wide:.1} s){}",
            self.jobs,
            m.per_min,
            spread(|f| f.per_min, "")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{median, range};

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![3.0]), 3.0);
        assert_eq!(median(vec![5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(range([2.0, 7.0, 1.0].into_iter()), (1.0, 7.0));
    }
}
