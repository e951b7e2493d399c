"""Mutation testing of the framework-free core math, one module group at a time (not run in CI).

Each group mutates a few modules and runs only that group's fast unit tests against each mutant,
so a mutant costs seconds instead of the whole suite. Every group works in its own copy of the
repository (``--workdir``/<group>), because mutmut reads its configuration from the working
directory's ``pyproject.toml``; the copy gets a ``[tool.mutmut]`` section written for the group.
Results stay in the copy, so a second run resumes where the first stopped (``--fresh`` starts over).
The copy's root ``conftest.py`` runs each mutant's tests fastest first (``FASTEST_FIRST``).

    pip install "mutmut==3.8.1"
    nice -n 19 python tools/mutation.py                  # every group
    nice -n 19 python tools/mutation.py tokens types     # some groups
    nice -n 19 python tools/mutation.py --quick types    # a focused subset (see QUICK)
    nice -n 19 python tools/mutation.py --sample 20 guidance   # a fixed 20 % of the mutants
    nice -n 19 python tools/mutation.py --retry attention     # survivors again, after new tests
    python tools/mutation.py --report                    # scores and survivors of what ran
    python tools/mutation.py --report --workdir AFTER --compare BEFORE   # two runs, shared mutants
    python tools/mutation.py --report --diffs            # also every survivor's diff, for triage
    python tools/mutation.py --report --check            # fail if a survivor has no verdict

Survivors are written to ``<workdir>/<group>/survivors.txt`` (with ``--diffs`` also
``survivors.diff``, the changed lines of each); ``mutmut show NAME`` (run inside the group's
copy) prints the diff of one. Every survivor of the last full run is judged in
``docs/mutation-survivors/<group>.md``: equivalent (with why) or left (with why); ``--report`` lists the
survivors that file does not judge yet, and the judged names that tests now kill.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = ROOT / "docs" / "mutation-survivors"  # one Markdown file per group

# group -> (modules to mutate, tests that guard them), in the order they run. A listed test file
# that does not exist is an empty file in the group's copy, so the same table runs on an older
# checkout (the "before" score), and adding the file later keeps mutmut's earlier results (a
# changed test selection would make mutmut forget them all).
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "tokens": (
        ["ttm_core/tokens.py"],
        ["tests/test_tokens.py", "tests/test_props_tokens.py", "tests/test_mutants_tokens.py"],
    ),
    "types": (
        ["ttm_core/types/*", "ttm_core/coords.py"],
        ["tests/test_types.py", "tests/test_coords.py", "tests/test_props_types.py",
         "tests/test_props_coords.py", "tests/test_regressions_types.py", "tests/test_regressions_inputs.py",
         "tests/test_regressions_trajectory_io.py", "tests/test_mutants_types.py", "tests/test_mutants_coords.py"],
    ),
    "motion": (
        ["ttm_core/motion/affine.py", "ttm_core/motion/compose.py", "ttm_core/motion/masks.py",
         "ttm_core/motion/measure.py", "ttm_core/motion/paths.py", "ttm_core/motion/plan.py",
         "ttm_core/motion/timeline.py", "ttm_core/motion/tracks_io.py", "ttm_core/motion/api.py"],
        ["tests/test_motion_common.py", "tests/test_motion_masks.py", "tests/test_motion_paths.py",
         "tests/test_motion_plan.py", "tests/test_motion_scenes.py", "tests/test_props_motion.py",
         "tests/test_regressions_motion.py", "tests/test_regressions_tracks.py", "tests/test_mutants_motion.py",
         "tests/test_mutants_motion_paths.py", "tests/test_mutants_motion_tracks.py", "tests/test_mutants_motion_compose.py"],
    ),
    "attention": (
        ["ttm_core/attention/*"],
        ["tests/test_attention_grouped.py", "tests/test_attention_one_pass.py",
         "tests/test_attention_core_native.py", "tests/test_attention_processors.py",
         "tests/test_regressions_attention.py", "tests/test_regressions_fused.py", "tests/test_regressions_schedule.py",
         "tests/test_regressions_stage2.py", "tests/test_mutants_attention.py"],
    ),
    "guidance": (
        ["ttm_core/guidance/*"],
        ["tests/test_clocks.py", "tests/test_reference.py", "tests/test_reference_compose.py",
         "tests/test_pipeline_anchoring.py", "tests/test_regressions_reference.py", "tests/test_props_tokens.py",
         "tests/test_regressions_guidance.py", "tests/test_mutants_guidance.py", "tests/test_mutants_guidance_fill.py",
         "tests/test_mutants_guidance_hold.py", "tests/test_mutants_guidance_reference.py"],
    ),
    "prompts": (
        ["ttm_core/prompts/rules.py", "ttm_core/prompts/motion.py",
         "ttm_core/prompts/text.py", "ttm_core/prompts/llm.py", "ttm_core/prompts/decompose.py"],
        ["tests/test_prompts_rules.py", "tests/test_prompts_openai.py", "tests/test_regressions_prompts.py",
         "tests/test_regressions_llm.py", "tests/test_regressions_rules_motion.py",
         "tests/test_regressions_rules_text.py", "tests/test_regressions_rules_agreement.py", "tests/test_mutants_prompts.py",
         "tests/test_mutants_prompts_rules.py", "tests/test_mutants_prompts_llm.py"],
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
        'also_copy = ["conftest.py"]',  # FASTEST_FIRST
        "only_mutate = " + json.dumps(mutate),
        "pytest_add_cli_args_test_selection = " + json.dumps(tests),
        "pytest_add_cli_args = " + json.dumps(["-p", "no:cacheprovider"] + [f"--deselect={t}" for t in DESELECT]),
        'process_isolation = "forkserver"',  # torch is not fork-safe after the test session started
        "use_git_change_detection = false",
        # limits: 5x the covering tests' own time plus 10 s (a loaded machine slows both); a mutant
        # that loops (the rule parser's while loops) is caught without minutes of waiting
        "timeout_multiplier = 5.0",
        "timeout_constant = 10.0",
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


# the copy's root conftest: a mutant's tests run fastest first (by the durations mutmut measured
# in its stats run), so with ``-x`` a mutant that a quick unit test kills does not first wait for
# the pipeline tests; modules stay together, so module fixtures are still built once per mutant
FASTEST_FIRST = (Path(__file__).with_name("mutation_fastest_first.py")).read_text()


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
    for test in tests:
        if not (ROOT / test).exists():
            (here / test).write_text('"""Not in this checkout: an empty stand-in keeps the test selection the same."""\n')
    (here / "conftest.py").write_text(FASTEST_FIRST)
    text = _without_section((ROOT / "pyproject.toml").read_text(), "[tool.mutmut]")
    (here / "pyproject.toml").write_text(text + "\n" + _mutmut_section(mutate, tests))
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


def _read_meta(meta: Path) -> dict:
    """One result file; a run in progress may be rewriting it, so a torn read is tried again."""
    for attempt in range(5):
        try:
            return json.loads(meta.read_text())
        except json.JSONDecodeError:
            time.sleep(0.2 * (attempt + 1))
    print(f"warning: {meta} could not be read (a run is writing it); its mutants are left out", file=sys.stderr)
    return {}


def statuses(here: Path, sample: float | None = None) -> dict[str, str]:
    """Mutant name -> status, from mutmut's result files (they are saved as mutants finish).

    With ``sample``, only the names of that fixed sample (so a score is the sample's, unbiased
    by mutants an earlier, stopped run happened to check first).
    """
    out = {}
    for name, code, _ in _results(here):
        if sample is None or in_sample(name, sample):
            out[name] = "killed" if code in KILLED else "timeout" if code in TIMEOUT else STATUS.get(code, "other")
    return out


def _results(here: Path):
    """(mutant name, exit code, mutated source path relative to ``here``) of every mutant."""
    mutants = here / "mutants"
    for meta in sorted(mutants.rglob("*.py.meta")):
        source = str(meta.relative_to(mutants))[: -len(".meta")]
        for name, code in sorted(_read_meta(meta).get("exit_code_by_key", {}).items()):
            yield name, code, source


def read_verdicts(folder: Path | None = None) -> dict[str, tuple[str, str]]:
    """Mutant name (or glob) -> (verdict, reason), from the survivors files.

    Each file is Markdown: a heading ``### equivalent: WHY`` or ``### left: WHY`` and under it one
    ``- `NAME` `` line per mutant (a trailing note after the name is allowed). Globs (``*``) judge
    every mutant of a function at once, for functions whose mutants share one reason.
    """
    verdicts: dict[str, tuple[str, str]] = {}
    for path in sorted((VERDICTS if folder is None else folder).glob("*.md")):
        verdicts.update(_read_verdict_file(path))
    return verdicts


def _read_verdict_file(path: Path) -> dict[str, tuple[str, str]]:
    verdicts: dict[str, tuple[str, str]] = {}
    kind, reason = None, ""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("### "):
            head, _, reason = line[4:].partition(":")
            kind = head.strip().lower()
            if kind not in ("equivalent", "left"):
                raise SystemExit(f"{path}:{number}: a verdict heading is '### equivalent: why' or '### left: why'")
            reason = reason.strip()
        elif line.startswith("- `") and kind is not None:
            name = line[3:].split("`", 1)[0]
            verdicts[name] = (kind, reason)
    return verdicts


def _verdict(name: str, verdicts: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    if name in verdicts:
        return verdicts[name]
    for pattern, verdict in verdicts.items():
        if "*" in pattern and fnmatch.fnmatchcase(name, pattern):
            return verdict
    return None


def write_diffs(here: Path, names: list[str], sources: dict[str, str]) -> None:
    """The changed lines of each mutant (with one line of context), for judging survivors;
    ``sources`` maps each name to its mutated file."""
    cwd = os.getcwd()
    os.chdir(here)  # mutmut reads its configuration from the working directory
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant  # the mutmut venv runs this tool

        chunks = []
        for name in names:
            diff = get_diff_for_mutant(name, path=sources[name]).splitlines()
            head = diff[3][1:].strip() if len(diff) > 3 else ""  # the first context line
            changed = [line for line in diff[3:] if line[:1] in "+-"]
            chunks.append("\n".join([f"## {name}", f"  {head[:100]}", *changed]))
    finally:
        os.chdir(cwd)
    (here / "survivors.diff").write_text("\n\n".join(chunks) + "\n")


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


def report(group: str, here: Path, sample: float | None = None, diffs: bool = False) -> dict[str, int]:
    """Per-group counts from mutmut's result files; writes the group's survivors.txt.

    Also counts the survivors by verdict (``docs/mutation-survivors/``) and writes those without
    one to ``unjudged.txt``; ``counts["unjudged"]`` is their number.
    """
    counts = {"killed": 0, "timeout": 0, "survived": 0, "no tests": 0, "not checked": 0, "other": 0}
    survivors, names, killed = [], [], []
    for name, status in statuses(here, sample).items():
        counts[status] += 1
        if status in ("killed", "timeout"):
            killed.append(name)
        if status not in ("killed", "timeout", "not checked"):
            survivors.append(f"{status}\t{name}")
            names.append(name)
    (here / "survivors.txt").write_text("\n".join(survivors) + "\n")
    verdicts = read_verdicts()
    judged = {name: _verdict(name, verdicts) for name in names}
    unjudged = [name for name, verdict in judged.items() if verdict is None]
    stale = [name for name in killed if name in verdicts]
    (here / "unjudged.txt").write_text("".join(f"{name}\n" for name in unjudged))
    if diffs:
        write_diffs(here, names, {name: source for name, _, source in _results(here)})
    tried = sum(v for k, v in counts.items() if k != "not checked")
    caught = counts["killed"] + counts["timeout"]
    score = 100.0 * caught / tried if tried else 0.0
    print(f"{group:10s} killed {caught:4d} / {tried:4d} = {score:5.1f}%   (timeouts {counts['timeout']}; "
          f"survived {counts['survived']}, no tests {counts['no tests']}, not run {counts['not checked']}, "
          f"other {counts['other']})")
    kinds = [verdict[0] for verdict in judged.values() if verdict is not None]
    print(f"{'':10s} survivors judged equivalent {kinds.count('equivalent')}, left {kinds.count('left')}, "
          f"not judged {len(unjudged)}" + (f" (see {here / 'unjudged.txt'})" if unjudged else ""))
    if stale:
        print(f"{'':10s} judged but killed now (drop from the verdicts): {', '.join(stale)}")
    counts["unjudged"] = len(unjudged)
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
    parser.add_argument("--diffs", action="store_true", help="with --report: write survivors.diff")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a survivor has no verdict in docs/mutation-survivors/")
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {list(GROUPS)}")
    unjudged = 0
    for group in args.groups or list(GROUPS):
        here = args.workdir / group
        if not args.report:
            run(group, prepare(group, args.workdir, args.fresh), args.max_children, args.quick, args.sample, args.retry)
        if (here / "mutants").exists():
            unjudged += report(group, here, args.sample, args.diffs)["unjudged"]
            if args.compare is not None and (args.compare / group / "mutants").exists():
                compare(group, args.compare, args.workdir, args.sample)
    return 1 if args.check and unjudged else 0


if __name__ == "__main__":
    sys.exit(main())
