#!/usr/bin/env python3
"""Generate a synthetic but realistic git history with `git fast-import`.

usage: gen-history.py <dir> [commits] [seed]     (LOG_MEDIAN=4.6: ln of the median file length)
       SHAPE=wide gen-history.py <dir> [commits] [seed]

Then, in <dir> (an empty `git init --initial-branch=main` repository):
    git fast-import --quiet < stream.fi && git update-ref --stdin < deleted-refs.txt
    rm stream.fi deleted-refs.txt && git checkout -q main
    git repack -adfq && git commit-graph write --reachable

The benchmark figures of scripts/bench-git-import.sh (BENCHMARKS.md) were
taken on `gen-history.py bigrepo 30000 42` and `SHAPE=wide gen-history.py
wide 20000 42`.

Linear main line with feature branches merged back, unmerged branches and
tags, files of code-like text edited in hunks, additions, deletions, renames,
mode changes, symlinks, binary files, files without a final newline, CRLF
files, many authors in many time zones. Deterministic for a seed.

SHAPE=wide makes the other shape a history can have: many small commits on
one line over a wide tree (1,500 files of a few dozen lines in the top-level
directory), each commit editing one to three lines of one or two files, and
a merged branch now and then. There the time per commit is the fixed cost
(decoding a commit and two 1,500-entry trees, storing a row) rather than the
diffs.
"""
import os, random, subprocess, sys

SHAPE = os.environ.get("SHAPE", "default")
if SHAPE not in ("default", "wide"):
    sys.exit(f"SHAPE={SHAPE}: SHAPE must be `default` or `wide`; nothing was written")
target = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)

WORDS = ("let mut self return if else for while match fn pub struct impl use crate value result error "
         "count index item items list map key name path config state buffer len push pop insert remove "
         "Some None Ok Err into iter collect clone unwrap expect new default from to_string format").split()
DIRS = [f"{a}/{b}" for a in ["src", "lib", "tests", "docs", "services", "tools", "web"] for b in
        ["core", "api", "db", "ui", "util", "net", "auth", "jobs", "cli", "model", "billing", "search"]]
TZS = ["+0000", "+0100", "+0200", "+0530", "-0800", "-0500", "+0900", "-0300", "+1000", "+0545"]
PEOPLE = [(f"Dev {i}", f"dev{i}@example.com", rng.choice(TZS)) for i in range(60)]

def code_line():
    r = rng.random()
    if r < 0.12: return ""
    if r < 0.22: return "    }"
    if r < 0.27: return "}"
    indent = "    " * rng.randint(0, 3)
    return indent + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9))) + rng.choice([";", " {", "", ","])

def new_text(n=None):
    n = n or max(3, int(rng.lognormvariate(float(os.environ.get("LOG_MEDIAN", "4.6")), 1.0)))
    return [code_line() for _ in range(min(n, 6000))]

def edit(lines):
    lines = list(lines)
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4, 8])):
        at = rng.randint(0, len(lines))
        kind = rng.random()
        span = rng.choice([1, 1, 2, 3, 5, 10, 30])
        if kind < 0.4:
            lines[at:at] = [code_line() for _ in range(span)]
        elif kind < 0.65:
            del lines[at:at + span]
        else:
            lines[at:at + span] = [code_line() for _ in range(rng.choice([1, span, span + 2]))]
    if rng.random() < 0.02:  # large rewrite
        for i in range(len(lines)):
            if rng.random() < 0.3: lines[i] = code_line()
    return lines

class File:
    __slots__ = ("kind", "lines", "mode", "eol_missing", "crlf", "data")
    def __init__(self, kind="text", lines=None, mode="100644", data=b""):
        self.kind, self.lines, self.mode, self.data = kind, lines, mode, data
        self.eol_missing = rng.random() < 0.03
        self.crlf = rng.random() < 0.02
    def copy(self):
        f = File.__new__(File)
        f.kind, f.lines, f.mode, f.eol_missing, f.crlf, f.data = self.kind, self.lines, self.mode, self.eol_missing, self.crlf, self.data
        return f
    def bytes(self):
        if self.kind == "text":
            nl = "\r\n" if self.crlf else "\n"
            s = nl.join(self.lines) + ("" if self.eol_missing or not self.lines else nl)
            return s.encode()
        return self.data

out = open(os.path.join(target, "stream.fi"), "wb")
def w(b): out.write(b if isinstance(b, bytes) else b.encode())
def data(b):
    w(f"data {len(b)}\n"); w(b); w("\n")

mark = 0
time = 1_500_000_000
def commit(ref, state_changes, parents, msg=None):
    """state_changes: list of (path, File or None)."""
    global mark, time
    mark += 1
    time += rng.randint(30, 20000)
    a = rng.choice(PEOPLE); c = a if rng.random() < 0.8 else rng.choice(PEOPLE)
    w(f"commit {ref}\nmark :{mark}\n")
    w(f"author {a[0]} <{a[1]}> {time - rng.randint(0, 86400)} {a[2]}\n")
    w(f"committer {c[0]} <{c[1]}> {time} {c[2]}\n")
    msg = msg or (rng.choice(["Fix", "Add", "Refactor", "Update", "Remove", "Tune"]) + " " +
                  " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8))) +
                  ("\n\n" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60))) if rng.random() < 0.6 else "") + "\n")
    data(msg.encode())
    if parents:
        w(f"from :{parents[0]}\n")
        for p in parents[1:]:
            w(f"merge :{p}\n")
    for path, f in state_changes:
        if f is None:
            w(f"D {path}\n")
        else:
            w(f"M {f.mode} inline {path}\n"); data(f.bytes())
    return mark

def random_changes(state, dirs):
    changes = []
    r = rng.random()
    paths = [p for p in state if p.rsplit("/", 1)[0] in dirs] if dirs else list(state)
    nfiles = rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 10])
    for _ in range(nfiles):
        r = rng.random()
        d = rng.choice(dirs) if dirs else rng.choice(DIRS)
        if r < 0.72 and paths:
            p = rng.choice(paths); f = state[p]
            if f.kind == "text":
                g = f.copy(); g.lines = edit(f.lines)
                if rng.random() < 0.01: g.eol_missing = not g.eol_missing
                if rng.random() < 0.005: g.mode = "100755" if g.mode == "100644" else "100644"
            elif f.kind == "binary":
                g = f.copy(); b = bytearray(f.data)
                for _ in range(20): b[rng.randrange(len(b))] = rng.randrange(256)
                g.data = bytes(b)
            else:
                continue
            state[p] = g; changes.append((p, g))
        elif r < 0.88 or not paths:
            p = f"{d}/{rng.choice(WORDS)}_{rng.randint(0, 99999)}.{rng.choice(['rs', 'py', 'md', 'ts', 'go'])}"
            if rng.random() < 0.02:
                g = File("binary", data=bytes(rng.randrange(256) for _ in range(rng.randint(100, 20000))) + b"\0")
                p = p.rsplit(".", 1)[0] + ".png"
            elif rng.random() < 0.01 and paths:
                g = File("link", mode="120000", data=rng.choice(paths).encode())
            else:
                g = File("text", new_text())
            state[p] = g; changes.append((p, g)); paths.append(p)
        elif r < 0.94:
            p = rng.choice(paths); del state[p]; paths.remove(p); changes.append((p, None))
        else:  # rename (a deletion and an addition without --find-renames)
            p = rng.choice(paths); f = state.pop(p); paths.remove(p)
            q = f"{d}/{rng.choice(WORDS)}_{rng.randint(0, 99999)}.{p.rsplit('.', 1)[-1]}"
            g = f.copy()
            if g.kind == "text" and rng.random() < 0.5: g.lines = edit(g.lines)
            state[q] = g; changes += [(p, None), (q, g)]; paths.append(q)
    # de-duplicate (last write wins), keep order stable
    seen = {}
    for p, f in changes: seen[p] = f
    return list(seen.items())

def wide_history():
    """SHAPE=wide: see the module's docstring."""
    global count
    state = {f"f{i:04}_{rng.choice(WORDS)}.txt": File("text", new_text(rng.randint(10, 60))) for i in range(1500)}
    for f in state.values():
        f.eol_missing = f.crlf = False
    paths = sorted(state)
    head = commit("refs/heads/main", sorted(state.items()), [], "Initial import\n")
    count = 1
    branch_no = 0
    while count < N:
        if rng.random() < 0.02 and count + 3 < N:
            branch_no += 1
            fhead = head
            for _ in range(2):
                p = rng.choice(paths)
                g = state[p].copy(); g.lines = small_edit(g.lines); state[p] = g
                fhead = commit(f"refs/heads/topic/{branch_no}", [(p, g)], [fhead]); count += 1
            head = commit("refs/heads/main", [], [head, fhead], f"Merge branch 'topic/{branch_no}'\n"); count += 1
            continue
        changes = []
        for p in rng.sample(paths, rng.choice([1, 1, 1, 2])):
            g = state[p].copy(); g.lines = small_edit(g.lines); state[p] = g
            changes.append((p, g))
        head = commit("refs/heads/main", changes, [head]); count += 1
    out.close()
    open(os.path.join(target, "deleted-refs.txt"), "w").write("")
    print("commits", count, "files", len(state))
    sys.exit(0)

def small_edit(lines):
    """One to three lines replaced, added or removed."""
    lines = list(lines)
    at = rng.randrange(max(1, len(lines)))
    kind = rng.random()
    if kind < 0.5:
        lines[at:at + 1] = [code_line()]
    elif kind < 0.8 or len(lines) < 5:
        lines[at:at] = [code_line() for _ in range(rng.randint(1, 3))]
    else:
        del lines[at:at + rng.randint(1, 2)]
    return lines

if SHAPE == "wide":
    wide_history()

main_state = {}
main_head = None
init = []
for _ in range(300):
    p = f"{rng.choice(DIRS)}/{rng.choice(WORDS)}_{rng.randint(0, 99999)}.rs"
    main_state[p] = File("text", new_text()); init.append((p, main_state[p]))
main_head = commit("refs/heads/main", init, [], "Initial import\n")
count = 1
branch_no = 0
deleted_refs = []
while count < N:
    if rng.random() < 0.12:
        branch_no += 1
        fdirs = rng.sample(DIRS, 2)
        mdirs = [d for d in DIRS if d not in fdirs]
        fstate = dict(main_state); fhead = main_head; fchanged = {}
        ref = f"refs/heads/feature/{branch_no}"
        for _ in range(rng.randint(1, 6)):
            ch = random_changes(fstate, fdirs)
            fhead = commit(ref, ch, [fhead]); count += 1
            for p, f in ch: fchanged[p] = f
            if rng.random() < 0.5:
                ch = random_changes(main_state, mdirs)
                main_head = commit("refs/heads/main", ch, [main_head]); count += 1
        if rng.random() < 0.15:
            w(f"tag v0.{branch_no}\nfrom :{fhead}\ntagger Rel <rel@example.com> {time} +0200\n"); data(b"release\n")
        if rng.random() < 0.85:
            for p, f in fchanged.items():
                if f is None: main_state.pop(p, None)
                else: main_state[p] = f
            main_head = commit("refs/heads/main", list(fchanged.items()), [main_head, fhead],
                               f"Merge branch 'feature/{branch_no}'\n"); count += 1
            if rng.random() < 0.7:
                deleted_refs.append(ref)
    else:
        ch = random_changes(main_state, None)
        if not ch:
            continue
        main_head = commit("refs/heads/main", ch, [main_head]); count += 1
    if rng.random() < 0.001:  # an empty commit
        main_head = commit("refs/heads/main", [], [main_head], "Empty commit\n"); count += 1
out.close()
open(os.path.join(target, "deleted-refs.txt"), "w").write("".join(f"delete {r}\n" for r in deleted_refs))
print("commits", count, "files", len(main_state))
