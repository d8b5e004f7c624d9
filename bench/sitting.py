"""What every bench figure is printed with, and how a baseline commit is run
in the same sitting.

A shared machine's speed drifts from hour to hour; what a reader can trust
is CPU per message and a ratio against a fixed commit measured alternately
in the same sitting.  So every run records the core count, the load average
before and after, and the commit of the code under test, and
``--baseline COMMIT`` checks that commit out once into a detached git
worktree under /tmp with its own venv (kept, so the next sitting reuses it).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TIDINGS_SHARED_DIR") or REPO.parent / "shared").resolve()
CLK_TCK = os.sysconf("SC_CLK_TCK")


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine() -> str:
    return f"{os.cpu_count()} cores, load average {loadavg()}"


# --- the code under test -----------------------------------------------------------------------
@dataclass(frozen=True)
class Tree:
    """A checkout of Tidings and the Python that runs it."""

    path: Path
    python: str
    label: str  # "HEAD" or "baseline"

    @property
    def commit(self) -> str:
        sha = git("rev-parse", "--short=9", "HEAD", cwd=self.path)
        # Only the product counts: a bench/ or docs/ change does not make the server differ.
        dirty = git("status", "--porcelain", "--", "tidings", "pyproject.toml", cwd=self.path)
        return sha + ("+uncommitted" if dirty else "")

    def describe(self) -> str:
        subject = git("log", "-1", "--format=%s", cwd=self.path)[:60]
        return f"{self.label} {self.commit} ({subject})"


def current() -> Tree:
    return Tree(REPO, sys.executable, "HEAD")


def baseline(commit: str, label: str = "baseline") -> Tree:
    """The commit in /tmp/tidings-bench-<sha>, with its own venv, created on
    first use (a minute or two) and reused after."""
    sha = git("rev-parse", "--verify", commit + "^{commit}")
    path = Path("/tmp") / f"tidings-bench-{sha[:12]}"
    if not (path / ".git").exists():
        print(f"checking {sha[:9]} out into {path} ...", flush=True)
        git("worktree", "add", "--detach", "--force", str(path), sha)
    stamp = path / ".venv" / ".bench-installed"
    if not stamp.exists():
        print(f"installing its venv in {path / '.venv'} (once) ...", flush=True)
        for cmd in ([sys.executable, "-m", "venv", str(path / ".venv")],
                    [str(path / ".venv/bin/python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                    [str(path / ".venv/bin/python"), "-m", "pip", "install", "--quiet", "-e", f"{path}[test]"]):
            done = subprocess.run(cmd, cwd=path, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        stamp.touch()
    return Tree(path, str(path / ".venv/bin/python"), label)


def side_args(argv: list[str]) -> list[str]:
    """A bench's own options minus the ones that chose the sides (``--baseline``,
    ``--rounds``): what each side's run is given."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in ("--baseline", "--rounds"):
            skip = True
        elif not a.startswith(("--baseline=", "--rounds=")):
            out.append(a)
    return out


def order(base: Tree | None, head: Tree, rounds: int) -> list[Tree]:
    """Runs in the order they happen: baseline and HEAD alternate, and the
    order flips each round (B H H B ...) so a drifting machine favours neither."""
    if base is None:
        return [head] * rounds
    out: list[Tree] = []
    for r in range(rounds):
        out += [base, head] if r % 2 == 0 else [head, base]
    return out


# --- CPU of a process tree ---------------------------------------------------------------------
def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system seconds incl. waited-for children) of a process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / CLK_TCK


def _members(roots: tuple[int, ...], parents: dict[int, int]) -> set[int]:
    members = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in members and pid not in members:
                members.add(pid)
                grew = True
    return members


def tree_pids(*roots: int) -> list[int]:
    """The ``roots`` and all their living descendants (``tidings serve``'s
    supervisor and the API and worker processes it started)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st:
                parents[int(entry)] = st[0]
    return sorted(_members(roots, parents) & (parents.keys() | set(roots)))


def tree_cpu(*roots: int) -> tuple[float, int]:
    """User+system CPU seconds of the ``roots`` and all their descendants
    (every thread of each), and how many processes that was."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st:
                parents[int(entry)], cpu[int(entry)] = st
    members = _members(roots, parents)
    return sum(cpu.get(p, 0.0) for p in members), len(members & cpu.keys())


class CpuMeter:
    """CPU used by process trees between ``start()`` and ``stop()``."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.seconds = 0.0
        self.processes = 0

    def start(self) -> None:
        self._t0, _ = tree_cpu(*self.roots)

    def stop(self) -> float:
        t1, self.processes = tree_cpu(*self.roots)
        self.seconds = t1 - self._t0
        return self.seconds


# --- summaries ---------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def compare(results: list[tuple[Tree, dict]], keys: list[str]) -> str:
    """A table of the medians per tree and HEAD / baseline for each key."""
    sides: dict[str, list[dict]] = {}
    commits: dict[str, str] = {}
    for tree, res in results:
        sides.setdefault(tree.label, []).append(res)
        commits[tree.label] = res.get("commit", "")
    labels = [x for x in ("baseline", "HEAD") if x in sides]
    head = f"{'figure (median of ' + str(len(sides[labels[-1]])) + ')':<34}" + "".join(f"{lab + ' ' + commits[lab]:>26}" for lab in labels)
    lines = [head + (f"{'HEAD / baseline':>17}" if len(labels) == 2 else "")]
    for key in keys:
        if not any(key in r for _, r in results):
            continue
        vals = [median([r[key] for r in sides[lab] if isinstance(r.get(key), (int, float))]) for lab in labels]
        row = f"{key:<34}" + "".join(f"{v:>26,.2f}" if abs(v) < 10 else f"{v:>26,.0f}" for v in vals)
        if len(vals) == 2 and vals[0]:
            row += f"{vals[1] / vals[0]:>16.2f}x"
        lines.append(row)
    return "\n".join(lines)
