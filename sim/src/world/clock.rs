//! A node's clock: the world's time plus an offset and a drift. `Ctx::now` reads it and timers
//! fire by it, so clock faults reach protocols exactly as they would on a real machine.

use splitbrain_api::{Dur, Time};

const PPM: i128 = 1_000_000;

/// local(t) = base_local + (t - base_real) * (1e6 + ppm) / 1e6, clamped at zero.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    base_real: u64,
    base_local: i64,
    ppm: i64,
}

/// `elapsed * rate / PPM` rounded down, for a positive `rate`. Split at whole seconds (`q`
/// seconds and `r` microseconds), the remainder's product fits in a `u64` for any sane rate,
/// so the division is by a constant on a `u64` (a multiply) rather than an `i128` division
/// call; the sum is the same number: `q * rate` is whole.
#[inline]
fn scaled(elapsed: u64, rate: i128) -> i128 {
    const SECOND: u64 = PPM as u64;
    match u64::try_from(rate) {
        Ok(rate) if rate <= u64::MAX / SECOND => {
            let (q, r) = (elapsed / SECOND, elapsed % SECOND);
            i128::from(q) * i128::from(rate) + i128::from(r * rate / SECOND)
        }
        _ => i128::from(elapsed) * rate / PPM,
    }
}

impl Clock {
    #[inline]
    pub fn local(&self, real: Time) -> Time {
        if self.ppm == 0 && self.base_local == self.base_real as i64 {
            return real;
        }
        let elapsed = real.0.saturating_sub(self.base_real);
        let local = i128::from(self.base_local) + scaled(elapsed, PPM + i128::from(self.ppm));
        Time(local.max(0) as u64)
    }

    /// How much real time passes while this clock advances by `span`.
    #[inline]
    pub fn real_span(&self, span: Dur) -> Dur {
        if self.ppm == 0 {
            return span;
        }
        let real = i128::from(span.0) * PPM / (PPM + i128::from(self.ppm)).max(1);
        Dur(real as u64)
    }

    fn rebase(&mut self, now: Time) {
        self.base_local = self.local(now).0 as i64;
        self.base_real = now.0;
    }

    pub fn jump(&mut self, now: Time, offset_us: i64) {
        self.rebase(now);
        self.base_local = (self.base_local + offset_us).max(0);
    }

    pub fn set_drift(&mut self, now: Time, ppm: i64) {
        self.rebase(now);
        self.ppm = ppm.max(-900_000);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_and_drift_shift_local_time() {
        let mut c = Clock::default();
        assert_eq!(c.local(Time(500)), Time(500));
        c.jump(Time(1_000), 250);
        assert_eq!(c.local(Time(2_000)), Time(2_250));
        c.set_drift(Time(2_000), 100_000); // 10% fast
        assert_eq!(c.local(Time(12_000)), Time(2_250 + 11_000));
        assert_eq!(c.real_span(Dur(11_000)), Dur(10_000));
    }

    /// The split computation is the plain `i128` one, rounding included.
    #[test]
    fn scaling_matches_the_wide_division() {
        let rates = [
            100_000,
            999_999,
            1_000_000,
            1_000_001,
            1_234_567,
            7_000_000_000,
            20_000_000_000_000,
        ];
        let elapsed = [
            0,
            1,
            999_999,
            1_000_000,
            1_000_001,
            86_400_000_123,
            u64::MAX,
        ];
        for &rate in &rates {
            for &e in &elapsed {
                let wide = i128::from(e) * rate / PPM;
                assert_eq!(scaled(e, rate), wide, "elapsed {e} rate {rate}");
            }
        }
    }
}
