//! The `splitbrain check` command (placeholder, filled below).
