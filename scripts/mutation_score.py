#!/usr/bin/env python3
"""Mutation score of the swarm: how many small faults planted in a protocol's source the swarm
finds. Samples mutation sites in the given files (a comparison, a boolean operator or a `+ 1`
changed), builds each mutant in a scratch copy of the tree, and runs `explore` of the
protocol's swarm on the correct variant with the mutant inside; a failing seed kills the
mutant. A mutant that does not compile is skipped. Prints one line per mutant and the score.

    python3 scripts/mutation_score.py --files protocols/src/raft/*.rs --sample 20 \
        --seeds 0..300 --scratch /tmp/mutants [--guided]

The scratch copy is made once (`cp -a` of the tree, target included, so only the changed
crates rebuild); the tree itself is never edited. The sample is a function of --seed.
"""
import argparse, random, re, shutil, subprocess, sys, os

OPERATORS = [
    (r" == ", " != "), (r" != ", " == "), (r" < ", " <= "), (r" <= ", " < "),
    (r" > ", " >= "), (r" >= ", " > "), (r" && ", " || "), (r" \|\| ", " && "),
    (r" \+ 1\b", ""), (r" - 1\b", ""),
]
SKIP = re.compile(r"^\s*(//|#\[|assert|debug_assert|ctx\.mark|mark_once)|describe|format!|write!")


def sites(files):
    out = []
    for path in files:
        if path.endswith("tests.rs"):
            continue
        lines = open(path).read().split("\n")
        in_tests = False
        for n, line in enumerate(lines):
            if "#[cfg(test)]" in line:
                in_tests = True
            if in_tests or SKIP.search(line):
                continue
            for pat, rep in OPERATORS:
                for m in re.finditer(pat, line):
                    out.append((path, n, m.start(), m.end(), rep))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", nargs="+", required=True)
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", default="0..300")
    ap.add_argument("--protocol", default="raft")
    ap.add_argument("--scenario", default="raft-swarm")
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--guided", action="store_true")
    a = ap.parse_args()
    root = os.getcwd()
    if not os.path.exists(a.scratch):
        shutil.copytree(root, a.scratch, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    all_sites = sites(a.files)
    random.Random(a.seed).shuffle(all_sites)
    killed = survived = 0
    for path, n, s, e, rep in all_sites[: a.sample]:
        target = os.path.join(a.scratch, path)
        original = open(target).read()
        lines = original.split("\n")
        before = lines[n]
        lines[n] = before[:s] + rep + before[e:]
        open(target, "w").write("\n".join(lines))
        try:
            b = subprocess.run(["cargo", "build", "--release", "-q", "--bin", "splitbrain"],
                               cwd=a.scratch, capture_output=True)
            where = f"{path}:{n + 1}: `{before.strip()}` -> `{lines[n].strip()}`"
            if b.returncode != 0:
                print(f"unbuildable {where}", flush=True)
                continue
            cmd = ["target/release/splitbrain", "explore", a.protocol, "--scenario", a.scenario,
                   "--seeds", a.seeds, "--until-first", "-q"] + (["--guided"] if a.guided else [])
            r = subprocess.run(cmd, cwd=a.scratch, capture_output=True, text=True)
            first = next((l for l in r.stdout.split("\n") if l.startswith("first failure")), "")
            if not first:
                survived += 1
                print(f"SURVIVED {where}", flush=True)
            else:
                killed += 1
                print(f"killed   {where}: {first[:100]}", flush=True)
        finally:
            open(target, "w").write(original)
    total = killed + survived
    print(f"score: {killed}/{total} killed" + (f" ({100 * killed / total:.0f}%)" if total else ""))


if __name__ == "__main__":
    sys.exit(main())
