//! The rustc wrapper that gives optimised builds the committed profile (scripts/pgo-rustc):
//! it adds the profile to an opt-level-3 call of the compiler the profile was made with, and
//! hands every other call on exactly as it came (a debug build, the profile's own instrumented
//! build, another compiler, `SPLITBRAIN_PGO=0`). A fake compiler records what it was given.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A stand-in compiler in `dir`: answers `-vV` with `commit`, and prints any other call's
/// arguments one per line.
fn fake_rustc(dir: &Path, commit: &str) -> PathBuf {
    let path = dir.join("rustc");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = -vV ]; then echo 'rustc 0.0.0'; echo 'commit-hash: {commit}'; exit 0; fi\nfor a in \"$@\"; do echo \"$a\"; done\n"
    );
    std::fs::write(&path, script).unwrap();
    let status = Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    assert!(status.success());
    path
}

/// The arguments the fake compiler received through the wrapper.
fn through_wrapper(rustc: &Path, args: &[&str], pgo: Option<&str>) -> Vec<String> {
    let mut cmd = Command::new(root().join("scripts/pgo-rustc"));
    cmd.arg(rustc).args(args).env_remove("SPLITBRAIN_PGO");
    if let Some(v) = pgo {
        cmd.env("SPLITBRAIN_PGO", v);
    }
    let out = cmd.output().expect("the wrapper runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splitbrain-pgo-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn only_an_optimised_call_of_the_profiles_compiler_gets_the_profile() {
    let stamp = std::fs::read_to_string(root().join("pgo/rustc-commit")).unwrap();
    let commit = stamp.trim();
    assert_eq!(commit.len(), 40, "pgo/rustc-commit holds a commit hash");
    let profile = root().join("pgo/splitbrain.profdata");
    assert!(std::fs::metadata(&profile).unwrap().len() > 0);
    let use_flag = format!("-Cprofile-use={}", profile.display());

    let dir = scratch("same");
    let same = fake_rustc(&dir, commit);
    let release = ["--crate-name", "x", "-C", "opt-level=3", "src/lib.rs"];
    let got = through_wrapper(&same, &release, None);
    assert_eq!(
        &got[..release.len()],
        release,
        "the call itself is unchanged"
    );
    assert!(got.contains(&use_flag), "{got:?}");

    // Handed on unchanged: a debug or lightly optimised build, the instrumented build, the
    // switch off, another compiler.
    let debug = ["--crate-name", "x", "-C", "opt-level=1", "src/lib.rs"];
    assert_eq!(through_wrapper(&same, &debug, None), debug);
    let instrumented = ["-C", "opt-level=3", "-Cprofile-generate=/tmp/raw", "a.rs"];
    assert_eq!(through_wrapper(&same, &instrumented, None), instrumented);
    assert_eq!(through_wrapper(&same, &release, Some("0")), release);
    let other_dir = scratch("other");
    let other = fake_rustc(&other_dir, "0000000000000000000000000000000000000000");
    assert_eq!(through_wrapper(&other, &release, None), release);
}
