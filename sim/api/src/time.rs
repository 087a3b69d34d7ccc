//! Virtual time: integer microseconds in newtypes. Nothing in a world reads a wall clock.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of simulated time, in microseconds since the world started (or on a node's
/// skewed clock, when a node reads it through `Ctx::now`).
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Time(pub u64);

/// A span of simulated time in microseconds.
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Dur(pub u64);

impl Time {
    pub const ZERO: Time = Time(0);
    pub const fn us(self) -> u64 {
        self.0
    }
    pub fn saturating_sub(self, other: Time) -> Dur {
        Dur(self.0.saturating_sub(other.0))
    }
}

impl Dur {
    pub const ZERO: Dur = Dur(0);
    pub const fn us(n: u64) -> Dur {
        Dur(n)
    }
    pub const fn ms(n: u64) -> Dur {
        Dur(n * 1_000)
    }
    pub const fn secs(n: u64) -> Dur {
        Dur(n * 1_000_000)
    }
    pub const fn as_us(self) -> u64 {
        self.0
    }
}

impl Add<Dur> for Time {
    type Output = Time;
    fn add(self, d: Dur) -> Time {
        Time(self.0.saturating_add(d.0))
    }
}

impl AddAssign<Dur> for Time {
    fn add_assign(&mut self, d: Dur) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Sub for Time {
    type Output = Dur;
    fn sub(self, other: Time) -> Dur {
        Dur(self.0.saturating_sub(other.0))
    }
}

impl Add for Dur {
    type Output = Dur;
    fn add(self, d: Dur) -> Dur {
        Dur(self.0.saturating_add(d.0))
    }
}

impl fmt::Debug for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

/// A simulated instant or span for people, in the one style every output uses: milliseconds
/// with the microseconds after the point, `2252.484 ms`.
pub fn ms_label(us: u64) -> String {
    format!("{}.{:03} ms", us / 1000, us % 1000)
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl fmt::Debug for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}us", self.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn simulated_times_read_as_milliseconds_to_the_microsecond() {
        assert_eq!(super::ms_label(2_252_484), "2252.484 ms");
        assert_eq!(super::ms_label(20), "0.020 ms");
        assert_eq!(super::ms_label(10_000_000), "10000.000 ms");
    }
}
