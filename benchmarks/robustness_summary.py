"""How convexgan ends on bad input: every case of the robustness catalogue, random valid and corrupted problems,
and a training killed with SIGKILL and resumed, counted by kind and by outcome.

Usage::

    python benchmarks/robustness_summary.py [--examples 200] [--no-kill]

The cases and the judging are those of ``tests/robustness`` (``robustness_cases.CASES``, ``robustness_outcomes``,
``robustness_properties``, ``robustness_kill``); this script runs them all once, without pytest, and prints:

1. per kind of bad input (both catalogues: ``robustness_cases.CASES`` and ``robustness_hostile.HOSTILE_CASES``):
   how many were tried and how many ended in each outcome (documented error, warning with a count, correct
   result, clean command-line exit, or a failure, known bug or not); each case runs under a time limit
   (``--timeout``, a hang otherwise) and memory cases under ``tracemalloc`` with their bound;
2. the failures by class (raw tracebacks, hangs, unbounded allocations, silent wrong results, code that ran,
   other) and every failing case with its verdict;
3. the hypothesis properties: random valid problems (certificate satisfied or not) and random corrupted
   problems by corrupted argument (documented error or what happened instead);
4. the SIGKILL chain: how each killed process ended, whether the finished stage survived, whether the resumed
   run has the uninterrupted run's weights.

Torch runs on one thread, as in the suite (the problems are tiny; threads only contend).
"""

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "robustness"))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from robustness_cases import CASES, check_reference, reference_folder  # noqa: E402
from robustness_hostile import HOSTILE_CASES  # noqa: E402
from robustness_outcomes import FAILURE_CLASSES, GOOD, failure_class, judge  # noqa: E402
from robustness_properties import (  # noqa: E402
    certificate_errors,
    invalid_problems,
    invalid_verdict,
    solver_verdict,
    valid_problems,
)

from convexgan.progressive import load_generator  # noqa: E402

COLUMNS = ("tried", *GOOD, "failed: known bug", "failed: new")


def run_catalogue(timeout):
    """Judge every case; return ``{kind: Counter}`` and the list of failing ``(case, verdict, detail)``."""
    table, failures = collections.defaultdict(collections.Counter), []
    for case in CASES + HOSTILE_CASES:
        with tempfile.TemporaryDirectory() as tmp:
            verdict, detail = judge(case, tmp, timeout=timeout)
        row = table[case.kind]
        row["tried"] += 1
        if verdict in GOOD:
            row[verdict] += 1
        else:
            row["failed: known bug" if case.bug else "failed: new"] += 1
            failures.append((case, verdict, detail))
    kinds = list(table)
    return table, sorted(failures, key=lambda failure: kinds.index(failure[0].kind))


def print_table(title, rows, columns):
    print(f"\n{title}\n")
    width = max(len(name) for name in rows) if rows else 10
    print(f"| {'kind':<{width}} | " + " | ".join(columns) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (len(c) + 2) for c in columns) + "|")
    total = collections.Counter()
    for name, counts in rows.items():
        total.update(counts)
        print(f"| {name:<{width}} | " + " | ".join(f"{counts[c]:>{len(c)}}" for c in columns) + " |")
    print(f"| {'total':<{width}} | " + " | ".join(f"{total[c]:>{len(c)}}" for c in columns) + " |")


def run_properties(examples):
    """Draw ``examples`` valid closed-form, valid CVXPY and corrupted problems; count the outcomes."""
    rows = collections.defaultdict(collections.Counter)
    strict = settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))

    def closed_form(problem):
        rows["valid, closed form"]["tried"] += 1
        try:
            errors = certificate_errors(problem, problem.solve())
        except Exception as err:  # counted, not raised: the table reports it
            errors = [f"{type(err).__name__}: {err}"]
        rows["valid, closed form"]["certificate holds" if not errors else "certificate fails"] += 1

    def solver(problem):
        rows["valid, CVXPY"]["tried"] += 1
        try:
            verdict, _ = solver_verdict(problem)
        except Exception:  # counted, not raised: the table reports it
            verdict = "certificate fails"
        rows["valid, CVXPY"][verdict] += 1

    given(valid_problems())(strict(closed_form))()
    cvxpy_settings = settings(strict, max_examples=max(1, examples // 5))
    critics = ("linear", "quadratic", "polynomial")
    given(valid_problems(methods=("cvxpy",), max_d=3, critics=critics))(cvxpy_settings(solver))()

    def corrupted(problem):
        verdict, _ = invalid_verdict(problem)
        label = f"invalid {problem.bad}"
        rows[label]["tried"] += 1
        rows[label][verdict] += 1

    given(invalid_problems())(strict(corrupted))()
    return rows


def run_kill():
    """Run the SIGKILL chain once; return ``(moment, observation)`` rows."""
    from robustness_kill import interrupted_chain

    with tempfile.TemporaryDirectory() as tmp:
        chain = interrupted_chain(tmp)
        try:
            check_reference(load_generator(chain.run))
            weights = "equal to the uninterrupted run (torch.equal, every stage)"
        except AssertionError as err:
            weights = f"DIFFERENT: {err}"
        rows = []
        for kill, snapshot in zip(chain.kills, chain.snapshots):
            rows.append((f"killed at {kill.moment}", f"exit {kill.returncode}; checkpoints {sorted(snapshot)}; "
                         f"partial temp files {len(kill.partial)}"))
        kept = all((chain.run / name).read_bytes() == data for snapshot in chain.snapshots
                   for name, data in snapshot.items())
        rows.append(("every checkpoint finished before a kill is byte-identical at the end", str(kept)))
        rows.append((f"resumed with --resume (exit {chain.final_status})", weights))
        leftovers = [n for n in chain.final_files if n.endswith(".tmp")]
        rows.append(("partial temp files left after the resume", str(len(leftovers))))
        reported = len(json.loads((chain.run / "report.json").read_text())["stages"])
        stages = len(list(reference_folder()[1].glob("stage*.npz")))
        rows.append(("stages listed in report.json after resume", f"{reported} of {stages}"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="hypothesis examples per property")
    parser.add_argument("--no-kill", action="store_true", help="skip the SIGKILL chain (two subprocesses)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per case before it counts as a hang")
    args = parser.parse_args()
    torch.set_num_threads(1)
    reference_folder()

    table, failures = run_catalogue(args.timeout)
    print_table("Bad inputs of the catalogue, by kind and outcome", table, COLUMNS)
    classes = collections.Counter(failure_class(verdict) for _, verdict, _ in failures)
    print("\nFailures by class: " + ", ".join(f"{classes[name]} {name}" for name in FAILURE_CLASSES))
    print("\nFailing cases\n")
    if not failures:
        print("none")
    else:
        print("| kind | case | verdict | known bug |")
        print("|---|---|---|---|")
    for case, verdict, detail in failures:
        print(f"| {case.kind} | {case.name} | {verdict} | {case.bug or 'NEW: ' + detail} |")

    properties = run_properties(args.examples)
    columns = ("tried", "certificate holds", "certificate fails", "inaccurate, warned", "documented error",
               "unclear message", "obscure error", "no error")
    print_table(f"Property tests ({args.examples} corrupted and closed-form examples, {max(1, args.examples // 5)} "
                "CVXPY examples)", properties, columns)

    if not args.no_kill:
        print("\nTraining killed with SIGKILL, then resumed\n")
        print("| moment | observation |")
        print("|---|---|")
        for moment, observation in run_kill():
            print(f"| {moment} | {observation} |")


if __name__ == "__main__":
    main()
