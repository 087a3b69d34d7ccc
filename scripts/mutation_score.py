#!/usr/bin/env python3
"""Mutation score of the swarm: how many small faults planted in a protocol's source the swarm
finds. Samples mutation sites in the given files (a comparison, a boolean operator or a `+ 1`
changed), builds each mutant in a scratch copy of the tree, and runs `explore` of the
protocol's swarm on the correct variant with the mutant inside; a failing seed kills the
mutant. With --guided a mutant the uniform swarm misses gets a second chance with `--guided`
over the same seeds. A mutant that does not compile is skipped. Prints one line per mutant
and the score.

    python3 scripts/mutation_score.py --files protocols/src/raft/*.rs --sample 24 \
        --seeds 0..1000 --guided [--target-dir /tmp/sb-mutants-target]

The tree is copied (without .git and target) into a fresh scratch directory, which is removed
at the end, also on an error or an interrupt; the tree itself is never edited. Builds use their
own CARGO_TARGET_DIR (inside the scratch directory unless --target-dir names one to keep warm
between runs) and a quick release profile (no LTO, parallel codegen, incremental): a mutant
rebuilds the protocols crate and the binary in a minute or two instead of a fat-LTO link.
The unmutated copy is built and tested first; if it fails, the score means nothing and the
script stops. The sample is a function of --seed.
"""
import argparse, os, random, re, shutil, signal, subprocess, sys, tempfile, time

OPERATORS = [
    (r" == ", " != "), (r" != ", " == "), (r" < ", " <= "), (r" <= ", " < "),
    (r" > ", " >= "), (r" >= ", " > "), (r" && ", " || "), (r" \|\| ", " && "),
    (r" \+ 1\b", ""), (r" - 1\b", ""),
]
SKIP = re.compile(r"^\s*(//|#\[|assert|debug_assert|ctx\.mark|mark_once)|describe|format!|write!")
QUICK_PROFILE = {
    "CARGO_PROFILE_RELEASE_LTO": "off",
    "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "16",
    "CARGO_PROFILE_RELEASE_DEBUG": "0",
    "CARGO_PROFILE_RELEASE_INCREMENTAL": "true",
}


MARK_CALL = re.compile(r"^\s*(mark_once\(|ctx\.mark\(|self\.mark_once\()")


def only_marks(lines, n):
    """Whether line `n` is an `if` whose block only records coverage marks (a condition that
    decides nothing but a mark: its mutants cannot change a run's behaviour)."""
    line = lines[n].strip()
    if not (line.startswith("if ") or line.startswith("} else if ")) or not line.endswith("{"):
        return False
    body = []
    for nxt in lines[n + 1:]:
        if nxt.strip().startswith("}"):
            break
        body.append(nxt)
    return bool(body) and all(MARK_CALL.search(b) for b in body)


def sites(files):
    """Every (path, line index, start, end, replacement) a mutation can be made at."""
    out = []
    for path in files:
        if path.endswith("tests.rs"):
            continue
        lines = open(path).read().split("\n")
        in_tests = False
        for n, line in enumerate(lines):
            if "#[cfg(test)]" in line:
                in_tests = True
            if in_tests or SKIP.search(line) or only_marks(lines, n):
                continue
            for pat, rep in OPERATORS:
                for m in re.finditer(pat, line):
                    # Not inside a string literal (a message text).
                    if line[: m.start()].replace('\\"', "").count('"') % 2 == 0:
                        out.append((path, n, m.start(), m.end(), rep))
    return out


def run(cmd, cwd, env=None, timeout=None):
    """Runs `cmd` in its own process group, killed whole (cargo's rustc children too) on a
    timeout or an interrupt."""
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise
    return p.returncode, out, err


def explore(a, scratch, env, guided):
    """'killed: first failure ...', 'survived' or 'timeout'/'error: ...' for one explore."""
    binary = os.path.join(env["CARGO_TARGET_DIR"], "release", "splitbrain")
    cmd = [binary, "explore", a.protocol, "--variant", a.variant, "--scenario", a.scenario,
           "--seeds", a.seeds, "--until-first", "-q"] + (["--guided"] if guided else [])
    try:
        code, out, err = run(cmd, scratch, env, a.timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    first = next((l for l in out.split("\n") if l.startswith("first failure")), "")
    if code == 1 and first:
        return "killed: " + first[len("first failure: "):][:110]
    never = next((l for l in out.split("\n") if l.startswith("never reached")), "")
    if code == 1 and never:
        # Every seed passed, but a behaviour the scenario expects sometimes never happened.
        return "killed: " + never[:110]
    if code == 0:
        return "survived"
    return f"error: exit {code}: {(err or out).strip()[:200]}"


def build(scratch, env):
    code, _, err = run(["cargo", "build", "--release", "-q", "--bin", "splitbrain"], scratch, env)
    return code == 0, err


def score(a, scratch, env):
    ok, err = build(scratch, env)
    if not ok:
        sys.exit(f"the unmutated copy does not build:\n{err}")
    base = explore(a, scratch, env, False)
    if base != "survived":
        sys.exit(f"the unmutated copy does not pass its own test: {base}")
    print(f"baseline passes: explore {a.protocol} --variant {a.variant} --scenario {a.scenario}"
          f" --seeds {a.seeds}",
          flush=True)
    all_sites = sites(a.files)
    random.Random(a.seed).shuffle(all_sites)
    if a.only:
        wanted = set(a.only.split(","))
        all_sites = [x for x in all_sites if f"{x[0]}:{x[1] + 1}:{x[2] + 1}" in wanted]
    print(f"{len(all_sites)} sites, sampling {min(a.sample, len(all_sites))}", flush=True)
    tally = {"killed": 0, "killed-guided": 0, "survived": 0, "timeout": 0, "unbuildable": 0,
             "error": 0}
    for i, (path, n, s, e, rep) in enumerate(all_sites[: a.sample]):
        target = os.path.join(scratch, path)
        original = open(target).read()
        lines = original.split("\n")
        before = lines[n]
        lines[n] = before[:s] + rep + before[e:]
        where = f"{path}:{n + 1}:{s + 1}: `{before.strip()}` -> `{lines[n].strip()}`"
        started = time.time()
        try:
            open(target, "w").write("\n".join(lines))
            ok, _ = build(scratch, env)
            if not ok:
                outcome, key = "unbuildable", "unbuildable"
            else:
                outcome = explore(a, scratch, env, False)
                key = outcome.split(":")[0]
                if outcome == "survived" and a.guided:
                    guided = explore(a, scratch, env, True)
                    if guided.startswith("killed"):
                        outcome, key = "guided " + guided, "killed-guided"
                    elif guided != "survived":
                        outcome = "survived; guided " + guided
        finally:
            open(target, "w").write(original)
        tally[key] += 1
        print(f"[{i + 1}] {outcome.split(':')[0].upper():<22} {where}"
              f" ({time.time() - started:.0f} s){outcome[outcome.find(':'):] if ':' in outcome else ''}",
              flush=True)
    judged = tally["killed"] + tally["killed-guided"] + tally["survived"] + tally["timeout"]
    dead = judged - tally["survived"]
    print(f"score: {dead}/{judged} killed ({tally})"
          + (f" = {100 * dead / judged:.0f}%" if judged else ""), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", nargs="+", required=True)
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1, help="picks the sample")
    ap.add_argument("--seeds", default="0..1000")
    ap.add_argument("--protocol", default="raft")
    ap.add_argument("--variant", default="correct")
    ap.add_argument("--scenario", default="raft-swarm")
    ap.add_argument("--only", help="mutate only the sampled sites at these PATH:LINE:COL, comma-separated")
    ap.add_argument("--guided", action="store_true")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per explore (a hang kills)")
    ap.add_argument("--target-dir", help="CARGO_TARGET_DIR to use and keep (default: scratch)")
    ap.add_argument("--list", action="store_true", help="print the sites and stop")
    a = ap.parse_args()
    if a.list:
        for path, n, s, e, rep in sites(a.files):
            print(f"{path}:{n + 1}:{s + 1} -> `{rep.strip()}`")
        return
    # A SIGTERM unwinds like ^C, so the finally blocks restore and remove.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    scratch = tempfile.mkdtemp(prefix="splitbrain-mutants-")
    try:
        tree = os.path.join(scratch, "tree")
        shutil.copytree(os.getcwd(), tree, symlinks=True,
                        ignore=shutil.ignore_patterns(".git", "target"))
        # Fresh mtimes: with a kept --target-dir, sources copied with their old mtimes would
        # look older than the last mutant's build, and cargo would reuse that mutant.
        for d, _, names in os.walk(tree):
            for name in names:
                os.utime(os.path.join(d, name))
        env = dict(os.environ, **QUICK_PROFILE)
        env["CARGO_TARGET_DIR"] = os.path.abspath(a.target_dir or os.path.join(scratch, "target"))
        score(a, tree, env)
    except KeyboardInterrupt:
        print("interrupted: the scratch copy is removed, the tree was never touched", flush=True)
        return 130
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
