"""The mutation tool's bookkeeping: verdict files, scores and the survivors left unjudged.

The tool itself runs outside CI (mutmut is slow); what it reports in the README rests on this
bookkeeping, so it is checked here on hand-made mutmut result files.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "mutation.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("ttm_mutation_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_results(here: Path, codes: dict[str, int | None]) -> None:
    meta = here / "mutants" / "ttm_core" / "demo.py.meta"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes}))


def test_verdict_files_give_each_name_its_heading(tool, tmp_path):
    (tmp_path / "a.md").write_text(
        "# demo\n\n### equivalent: the default is the same\n- `m.x_f__mutmut_1`\n- `m.x_f__mutmut_2` (a note)\n\n"
        "### left: needs a GPU\n- `m.x_g__mutmut_*`\n"
    )
    (tmp_path / "b.md").write_text("### Equivalent: 0 is the default dimension\n- `n.x_h__mutmut_3`\n")
    verdicts = tool.read_verdicts(tmp_path)
    assert verdicts == {
        "m.x_f__mutmut_1": ("equivalent", "the default is the same"),
        "m.x_f__mutmut_2": ("equivalent", "the default is the same"),
        "m.x_g__mutmut_*": ("left", "needs a GPU"),
        "n.x_h__mutmut_3": ("equivalent", "0 is the default dimension"),
    }
    assert tool._verdict("m.x_g__mutmut_17", verdicts) == ("left", "needs a GPU")
    assert tool._verdict("m.x_f__mutmut_3", verdicts) is None  # no glob, no verdict


def test_a_heading_that_is_not_a_verdict_is_refused(tool, tmp_path):
    (tmp_path / "a.md").write_text("### maybe: not sure\n- `m.x_f__mutmut_1`\n")
    with pytest.raises(SystemExit, match="a.md:1"):
        tool.read_verdicts(tmp_path)


def test_report_scores_and_lists_unjudged_survivors(tool, tmp_path, monkeypatch, capsys):
    verdicts = tmp_path / "verdicts"
    verdicts.mkdir()
    (verdicts / "g.md").write_text("### equivalent: why\n- `m.x_f__mutmut_2`\n- `m.x_f__mutmut_1`\n")
    monkeypatch.setattr(tool, "VERDICTS", verdicts)
    here = tmp_path / "g"
    # 1 killed (judged anyway: stale), 2 survived and judged, 3 survived unjudged, 4 no tests,
    # 5 a timeout, 6 a crash in a kernel, 7 not checked yet
    _write_results(here, {"m.x_f__mutmut_1": 1, "m.x_f__mutmut_2": 0, "m.x_f__mutmut_3": 0,
                          "m.x_f__mutmut_4": 33, "m.x_f__mutmut_5": 36, "m.x_f__mutmut_6": -11,
                          "m.x_f__mutmut_7": None})
    counts = tool.report("g", here)
    assert counts == {"killed": 2, "timeout": 1, "survived": 2, "no tests": 1, "not checked": 1, "other": 0,
                      "unjudged": 2}
    assert (here / "unjudged.txt").read_text().split() == ["m.x_f__mutmut_3", "m.x_f__mutmut_4"]
    out = capsys.readouterr().out
    assert "killed    3 /    6 =  50.0%" in out  # killed + timeout over everything checked
    assert "judged equivalent 1, left 0, not judged 2" in out
    assert "killed now (drop from the verdicts): m.x_f__mutmut_1" in out


def test_sample_is_a_fixed_share_of_names(tool):
    names = [f"m.x_f__mutmut_{i}" for i in range(4000)]
    picked = [n for n in names if tool.in_sample(n, 10)]
    assert 300 < len(picked) < 500  # about 10 %
    assert picked == [n for n in names if tool.in_sample(n, 10)]  # the same names every time
    assert set(picked) <= {n for n in names if tool.in_sample(n, 20)}  # a larger sample contains it


def test_the_copys_conftest_runs_a_mutants_tests_fastest_first_module_by_module(tool, tmp_path, monkeypatch):
    hooks: dict = {}
    exec(compile(tool.FASTEST_FIRST, "conftest.py", "exec"), hooks)
    items = [type("Item", (), {"nodeid": n})() for n in
             ["tests/a.py::slow", "tests/a.py::fast", "tests/b.py::x", "tests/c.py::new"]]
    monkeypatch.chdir(tmp_path)
    hooks["pytest_collection_modifyitems"](items)  # no stats yet (the stats run): order kept
    assert [i.nodeid for i in items] == ["tests/a.py::slow", "tests/a.py::fast", "tests/b.py::x", "tests/c.py::new"]
    seconds = {"tests/a.py::slow": 2.0, "tests/a.py::fast": 0.1, "tests/b.py::x": 0.5}
    (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": seconds}))
    hooks["pytest_collection_modifyitems"](items)
    # module totals: c 0 (unmeasured), b 0.5, a 2.1; inside a, 0.1 before 2.0
    assert [i.nodeid for i in items] == ["tests/c.py::new", "tests/b.py::x", "tests/a.py::fast", "tests/a.py::slow"]


def test_the_group_copy_carries_the_ordering_conftest(tool, tmp_path, monkeypatch):
    monkeypatch.setattr(tool, "GROUPS", {"g": (["ttm_core/tokens.py"], ["tests/test_tokens.py"])})
    here = tool.prepare("g", tmp_path, fresh=False)
    assert (here / "conftest.py").read_text() == tool.FASTEST_FIRST
    assert 'also_copy = ["conftest.py"]' in (here / "pyproject.toml").read_text()  # mutmut copies it into mutants/
