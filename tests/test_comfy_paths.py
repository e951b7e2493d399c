"""Provisioning of the current ComfyUI tree and the skip/fail rules of tests that need it.

Fake source trees in ``tmp_path`` stand in for a checkout; the last tests check the real,
provisioned tree of this checkout (they fail, not skip, when a source exists but was not
provisioned).
"""

from __future__ import annotations

import importlib.util
import shutil
import stat
import sys

import pytest

import comfy_paths

REQUIREMENTS = """comfyui-frontend-package==1.27.10
torch
torchvision
torchaudio
numpy>=1.25.0
av>=14.2.0 # a comment

#non essential dependencies:
pydantic~=2.0
"""


def _fake_source(root, version="0.3.64"):
    root.mkdir(parents=True)
    (root / "main.py").write_text("print('fake ComfyUI')\n")
    (root / "comfyui_version.py").write_text(f'__version__ = "{version}"\n')
    (root / "requirements.txt").write_text(REQUIREMENTS)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/master\n")
    (root / "comfy").mkdir()
    (root / "comfy" / "sd.py").write_text("X = 1\n")
    return root


@pytest.fixture()
def isolated(tmp_path, monkeypatch):
    """comfy_paths looking only at ``tmp_path``: no shared tree, no provisioned copy yet."""
    monkeypatch.setattr(comfy_paths, "CURRENT_DIR", tmp_path / "cache" / "comfyui-current")
    monkeypatch.setattr(comfy_paths, "_shared_candidates", lambda: [tmp_path / "shared" / "comfyui"])
    monkeypatch.delenv("COMFYUI_SRC", raising=False)
    (tmp_path / "cache").mkdir()
    return tmp_path


def test_no_source_at_all_skips_and_says_what_is_missing(isolated):
    reason, fatal = comfy_paths.current_problem(fresh=True)
    assert not fatal and "no source for a current ComfyUI exists" in reason and "COMFYUI_SRC" in reason
    with pytest.raises(pytest.skip.Exception, match="no source"):
        comfy_paths.require_current_comfyui()
    assert comfy_paths.provision(log=lambda m: None) is None


def test_a_source_that_was_not_provisioned_fails(isolated):
    _fake_source(isolated / "shared" / "comfyui")
    reason, fatal = comfy_paths.current_problem(fresh=True)
    assert fatal and "not provisioned" in reason and "install.sh --dev" in reason
    with pytest.raises(pytest.fail.Exception, match="not provisioned"):
        comfy_paths.require_current_comfyui()


def test_provision_copies_once_filters_torch_and_recopies_when_the_source_changes(isolated, monkeypatch):
    src = _fake_source(isolated / "clone")
    monkeypatch.setenv("COMFYUI_SRC", str(src))  # preferred over the shared tree
    _fake_source(isolated / "shared" / "comfyui", version="0.3.70")
    for path in [src, *src.rglob("*")]:  # CI's shared tree is read-only
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    logs = []
    requirements = comfy_paths.provision(log=logs.append)
    dst = comfy_paths.CURRENT_DIR
    assert logs[-1].startswith("copying ComfyUI 0.3.64 from " + str(src))
    assert (dst / "comfy" / "sd.py").read_text() == "X = 1\n" and not (dst / ".git").exists()
    assert requirements.read_text().splitlines() == [
        "comfyui-frontend-package==1.27.10", "numpy>=1.25.0", "av>=14.2.0", "pydantic~=2.0"]
    # the copy is writable although the source is not (checked on the mode: root writes anyway)
    assert all(p.stat().st_mode & stat.S_IWUSR for p in [dst, dst / "comfy", dst / "comfy" / "sd.py"])
    (dst / "user").mkdir()
    assert comfy_paths.current_problem(fresh=True) == ("", False)
    assert comfy_paths.require_current_comfyui() == dst

    comfy_paths.provision(log=logs.append)
    assert logs[-1] == f"current ComfyUI 0.3.64 already provisioned from {src}"
    assert (dst / "user").is_dir()  # not re-copied

    for path in [src, src / "comfy", src / "comfy" / "sd.py"]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    (src / "comfy" / "sd.py").write_text("X = 2\n")  # a pull: same size, other content
    reason, fatal = comfy_paths.current_problem(fresh=True)
    assert fatal and "stale" in reason
    comfy_paths.provision(log=logs.append)
    assert logs[-1].startswith("copying") and (dst / "comfy" / "sd.py").read_text() == "X = 2\n"
    assert not (dst / "user").exists() and comfy_paths.current_problem(fresh=True) == ("", False)


def test_a_copy_made_from_comfyui_src_stays_usable_and_checked_without_the_variable(isolated, monkeypatch):
    src = _fake_source(isolated / "clone")
    monkeypatch.setenv("COMFYUI_SRC", str(src))
    comfy_paths.provision(log=lambda m: None)
    monkeypatch.delenv("COMFYUI_SRC")
    assert comfy_paths.current_source() == src  # the recorded source
    assert comfy_paths.current_problem(fresh=True) == ("", False)
    (src / "comfy" / "sd.py").write_text("X = 3\n")
    assert "stale" in comfy_paths.current_problem(fresh=True)[0]
    logs = []
    comfy_paths.provision(log=logs.append)  # install.sh --dev without the variable: re-copied from it
    assert logs[-1].startswith(f"copying ComfyUI 0.3.64 from {src}")
    shutil.rmtree(src)  # a deleted clone: the copy is all there is, and it is used
    assert comfy_paths.current_problem(fresh=True) == ("", False)


def test_a_source_older_than_the_minimum_fails(isolated, monkeypatch):
    src = _fake_source(isolated / "old", version="0.3.10")
    monkeypatch.setenv("COMFYUI_SRC", str(src))
    comfy_paths.provision(log=lambda m: None)
    reason, fatal = comfy_paths.current_problem(fresh=True)
    assert fatal and "0.3.10, older than 0.3.64" in reason


# ---- the real tree of this checkout --------------------------------------------------------------
def test_the_current_tree_is_provisioned_from_its_source():
    tree = comfy_paths.require_current_comfyui()
    assert (tree / "comfy" / "ldm" / "wan" / "model.py").is_file()
    assert comfy_paths._version_tuple(comfy_paths._version(tree)) >= comfy_paths.MIN_VERSION


def test_import_current_comfy_loads_core_on_the_cpu_and_leaves_the_test_names_alone():
    import node_helpers as test_helpers  # tests/node_helpers.py, which ComfyUI's shadows

    path_before = list(sys.path)
    comfy = comfy_paths.import_current_comfy("comfy.ldm.wan.model")
    import comfy.model_management as mm

    assert str(mm.get_torch_device()) == "cpu"
    assert sys.modules["comfy.ldm.wan.model"].WanModel.__name__ == "WanModel"
    assert sys.modules["comfy.sd"].__file__ == str(comfy_paths.CURRENT_DIR / "comfy" / "sd.py")
    assert sys.modules["comfy.hooks"].conditioning_set_values is sys.modules[
        "comfy_node_helpers"].conditioning_set_values
    assert sys.modules["node_helpers"] is test_helpers and sys.path == path_before
    assert importlib.util.find_spec("folder_paths") is None  # the pack's nodes keep their fallback
    assert comfy_paths.import_current_comfy() is comfy
