"""Mutation testing of the framework-free core math, one module group at a time (not run in CI).

Each group mutates a few modules and runs only that group's fast unit tests against each mutant,
so a mutant costs seconds instead of the whole suite. Every group works in its own copy of the
repository (``--workdir``/<group>), because mutmut reads its configuration from the working
directory's ``pyproject.toml``; the copy gets a ``[tool.mutmut]`` section written for the group.
Results stay in the copy, so a second run resumes where the first stopped (``--fresh`` starts over).

    pip install "mutmut==3.8.1"
    nice -n 19 python tools/mutation.py                  # every group
    nice -n 19 python tools/mutation.py tokens types     # some groups
    nice -n 19 python tools/mutation.py --quick types    # a focused subset (see QUICK)
    nice -n 19 python tools/mutation.py --sample 20 guidance   # a fixed 20 % of the mutants
    nice -n 19 python tools/mutation.py --retry attention     # survivors again, after new tests
    python tools/mutation.py --report                    # scores and survivors of what ran
    python tools/mutation.py --report --workdir AFTER --compare BEFORE   # two runs, shared mutants

Survivors are written to ``<workdir>/<group>/survivors.txt``; ``mutmut show NAME`` (run inside
the group's copy) prints the diff of one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# group -> (modules to mutate, tests that guard them), in the order they run. Test files that do
# not exist are left out, so the same table runs on an older checkout (the "before" score).
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "tokens": (
        ["ttm_core/tokens.py"],
        ["tests/test_tokens.py", "tests/test_props_tokens.py"],
    ),
    "types": (
        ["ttm_core/types/*", "ttm_core/coords.py"],
        ["tests/test_types.py", "tests/test_coords.py", "tests/test_props_types.py",
         "tests/test_props_coords.py", "tests/test_regressions_types.py", "tests/test_regressions_inputs.py",
         "tests/test_regressions_trajectory_io.py"],
    ),
    "motion": (
        ["ttm_core/motion/affine.py", "ttm_core/motion/compose.py", "ttm_core/motion/masks.py",
         "ttm_core/motion/measure.py", "ttm_core/motion/paths.py", "ttm_core/motion/plan.py",
         "ttm_core/motion/timeline.py", "ttm_core/motion/tracks_io.py", "ttm_core/motion/api.py"],
        ["tests/test_motion_common.py", "tests/test_motion_masks.py", "tests/test_motion_paths.py",
         "tests/test_motion_plan.py", "tests/test_motion_scenes.py", "tests/test_props_motion.py",
         "tests/test_regressions_motion.py", "tests/test_regressions_tracks.py"],
    ),
    "attention": (
        ["ttm_core/attention/*"],
        ["tests/test_attention_grouped.py", "tests/test_attention_one_pass.py",
         "tests/test_attention_core_native.py", "tests/test_attention_processors.py",
         "tests/test_regressions_attention.py", "tests/test_regressions_fused.py", "tests/test_regressions_schedule.py",
         "tests/test_regressions_stage2.py"],
    ),
    "guidance": (
        ["ttm_core/guidance/*"],
        ["tests/test_clocks.py", "tests/test_reference.py", "tests/test_reference_compose.py",
         "tests/test_pipeline_anchoring.py", "tests/test_regressions_reference.py", "tests/test_props_tokens.py",
         "tests/test_regressions_guidance.py"],
    ),
    "prompts": (
        ["ttm_core/prompts/rules.py", "ttm_core/prompts/motion.py",
         "ttm_core/prompts/text.py", "ttm_core/prompts/llm.py", "ttm_core/prompts/decompose.py"],
        ["tests/test_prompts_rules.py", "tests/test_prompts_openai.py", "tests/test_regressions_prompts.py",
         "tests/test_regressions_llm.py", "tests/test_regressions_rules_motion.py",
         "tests/test_regressions_rules_text.py", "tests/test_regressions_rules_agreement.py"],
    ),
}

# (prompts/lexicon.py is left out: it is word lists, whose string mutants say nothing about code)

# ``--quick``: only these mutants (mutmut name globs) per group, the geometry a shared 2-core
# machine can get through in well under an hour; groups not listed run whole
QUICK: dict[str, list[str]] = {
    "types": [
        "ttm_core.types.trajectory.xǁMaskTrajectoryǁresized__mutmut_*",
        "ttm_core.coords.x__scale__mutmut_*",
        "ttm_core.types.objects.xǁObjectSetǁcentroids__mutmut_*",
    ],
    "motion": [
        "ttm_core.motion.compose.x_paint_order__mutmut_*",
        "ttm_core.motion.paths.x_resample_path__mutmut_*",
        "ttm_core.motion.plan.x_keyframe_states__mutmut_*",
        "ttm_core.motion.timeline.x_ease__mutmut_*",
        "ttm_core.motion.timeline.x_frame_times__mutmut_*",
    ],
}

# statements starting on a matching line are not mutated (validation and its messages, notes)
SKIP_LINES = [r"^\s*require\(", r"^\s*raise TTMInputError\(", r"^\s*raise LLMAnswerError\(", r"notes\.append\("]

# tests that start a fresh interpreter: mutmut's trampolines do not reach into it, so they cost
# tens of seconds per mutant and cannot kill one
DESELECT = ["tests/test_types.py::test_public_names_resolve_when_the_core_is_imported_under_another_name"]

KILLED = {1, 3, -6, -8, -11}  # a test failed, or the test run crashed (SIGABRT/SIGFPE/SIGSEGV in a kernel)
TIMEOUT = {36, 24, -24, 152, 255}  # counted as killed (an endless loop is caught), reported apart
STATUS = {0: "survived", 33: "no tests", 5: "no tests", 34: "skipped", None: "not checked"}


def _mutmut_section(mutate: list[str], tests: list[str]) -> str:
    lines = [
        "[tool.mutmut]",
        'source_paths = ["ttm_core"]',
        "only_mutate = " + json.dumps(mutate),
        "pytest_add_cli_args_test_selection = " + json.dumps(tests),
        "pytest_add_cli_args = " + json.dumps(["-p", "no:cacheprovider"] + [f"--deselect={t}" for t in DESELECT]),
        'process_isolation = "forkserver"',  # torch is not fork-safe after the test session started
        "use_git_change_detection = false",
        # generous limits: the machine is shared, and a wall-clock timeout would count as a kill
        "timeout_multiplier = 20.0",
        "timeout_constant = 20.0",
        # input validation is not math: its messages are text and its conditions are covered by
        # the error-naming tests; mutating them would bury the score in message-string mutants
        "do_not_mutate_patterns = " + json.dumps(SKIP_LINES),
        "",
    ]
    return "\n".join(lines)


def _without_section(text: str, header: str) -> str:
    out, skipping = [], False
    for line in text.splitlines():
        if line.strip().startswith("["):
            skipping = line.strip() == header
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def prepare(group: str, workdir: Path, fresh: bool) -> Path:
    """Copy the sources and tests into the group's folder and write its mutmut configuration."""
    mutate, tests = GROUPS[group]
    here = workdir / group
    if fresh and here.exists():
        shutil.rmtree(here)
    here.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("ttm_core", "tests"):
        shutil.copytree(ROOT / name, here / name, ignore=ignore, dirs_exist_ok=True)
    present = [t for t in tests if (ROOT / t).exists()]
    text = _without_section((ROOT / "pyproject.toml").read_text(), "[tool.mutmut]")
    (here / "pyproject.toml").write_text(text + "\n" + _mutmut_section(mutate, present))
    return here


def in_sample(name: str, percent: float) -> bool:
    """A fixed pseudo-random share of mutant names: the same names in every run and checkout."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) % 10_000 < percent * 100


def _mutmut(here: Path, max_children: int, names: list[str], log_name: str = "mutmut.log") -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [str(mutmut), "run", "--max-children", str(max_children)] + names
    shown = names if len(names) <= 6 else names[:3] + [f"... ({len(names)} names)"]
    print(f"== {here.name}: {' '.join(cmd[:4] + shown)} in {here}", flush=True)
    with open(here / log_name, "w") as log:
        return subprocess.call(cmd, cwd=here, env=env, stdout=log, stderr=subprocess.STDOUT)


def run(group: str, here: Path, max_children: int, quick: bool, sample: float | None = None,
        retry: bool = False) -> int:
    """Run the group's mutants: all, the QUICK globs, or a fixed sample (``--sample PERCENT``).

    ``retry`` runs again only the mutants that survived, had no test or timed out, against the
    tests as they are now (new tests are picked up by mutmut's incremental test map).
    """
    if retry:
        todo = [n for n, status in statuses(here).items() if status in ("survived", "no tests", "timeout")]
        return _mutmut(here, max_children, todo, "mutmut-retry.log") if todo else 0
    if sample is None:
        return _mutmut(here, max_children, QUICK.get(group, []) if quick else [])
    if not statuses(here):  # generate the mutants (and the test map) without testing any
        _mutmut(here, max_children, ["__ttm_generate_only__*"], "mutmut-generate.log")
    todo = [n for n, status in statuses(here).items() if status == "not checked" and in_sample(n, sample)]
    return _mutmut(here, max_children, todo) if todo else 0


def statuses(here: Path, sample: float | None = None) -> dict[str, str]:
    """Mutant name -> status, from mutmut's result files (they are saved as mutants finish).

    With ``sample``, only the names of that fixed sample (so a score is the sample's, unbiased
    by mutants an earlier, stopped run happened to check first).
    """
    out = {}
    for meta in sorted((here / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        for name, code in sorted(data.get("exit_code_by_key", {}).items()):
            if sample is None or in_sample(name, sample):
                out[name] = "killed" if code in KILLED else "timeout" if code in TIMEOUT else STATUS.get(code, "other")
    return out


def compare(group: str, before: Path, after: Path, sample: float | None = None) -> None:
    """Scores of two runs on the mutants both have checked (a run may have been stopped early)."""
    a, b = statuses(before / group, sample), statuses(after / group, sample)
    both = [n for n in a if n in b and "not checked" not in (a[n], b[n])]
    if not both:
        return
    caught = {"killed", "timeout"}
    ka, kb = sum(a[n] in caught for n in both), sum(b[n] in caught for n in both)
    print(f"{group:10s} on {len(both):4d} mutants checked in both: before {100 * ka / len(both):5.1f}%  "
          f"after {100 * kb / len(both):5.1f}%  (newly killed {sum(b[n] in caught and a[n] not in caught for n in both)}, "
          f"newly survived {sum(a[n] in caught and b[n] not in caught for n in both)})")


def report(group: str, here: Path, sample: float | None = None) -> dict[str, int]:
    """Per-group counts from mutmut's result files; writes the group's survivors.txt."""
    counts = {"killed": 0, "timeout": 0, "survived": 0, "no tests": 0, "not checked": 0, "other": 0}
    survivors = []
    for name, status in statuses(here, sample).items():
        counts[status] += 1
        if status not in ("killed", "timeout", "not checked"):
            survivors.append(f"{status}\t{name}")
    (here / "survivors.txt").write_text("\n".join(survivors) + "\n")
    tried = sum(v for k, v in counts.items() if k != "not checked")
    caught = counts["killed"] + counts["timeout"]
    score = 100.0 * caught / tried if tried else 0.0
    print(f"{group:10s} killed {caught:4d} / {tried:4d} = {score:5.1f}%   (timeouts {counts['timeout']}; "
          f"survived {counts['survived']}, no tests {counts['no tests']}, not run {counts['not checked']}, "
          f"other {counts['other']})")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"groups to run (default: all of {', '.join(GROUPS)})")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ttm-mutation"))
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutants (default 1)")
    parser.add_argument("--fresh", action="store_true", help="drop earlier results of these groups")
    parser.add_argument("--quick", action="store_true", help="only the QUICK subset of the groups that have one")
    parser.add_argument("--sample", type=float, metavar="PERCENT",
                        help="only a fixed pseudo-random PERCENT of each group's mutants (same names every run)")
    parser.add_argument("--retry", action="store_true",
                        help="run again the survivors, untested and timed-out mutants of earlier runs")
    parser.add_argument("--report", action="store_true", help="only print the scores of earlier runs")
    parser.add_argument("--compare", type=Path, metavar="WORKDIR",
                        help="with --report: also score against another run's workdir, on shared mutants")
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {list(GROUPS)}")
    for group in args.groups or list(GROUPS):
        here = args.workdir / group
        if not args.report:
            run(group, prepare(group, args.workdir, args.fresh), args.max_children, args.quick, args.sample, args.retry)
        if (here / "mutants").exists():
            report(group, here, args.sample)
            if args.compare is not None and (args.compare / group / "mutants").exists():
                compare(group, args.compare, args.workdir, args.sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
