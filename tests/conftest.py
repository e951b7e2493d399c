"""Test-session guards and shared fixtures.

Every socket that leaves the loopback interface fails the test: weights, tokenizers and configs
must come from the tiny offline builders, never from a hub.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import ipaddress
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkAccessError(RuntimeError):
    pass


def _guarded_connect(self, address):
    if not _is_loopback(address):
        raise NetworkAccessError(f"test tried to reach {address!r}: tests must stay offline")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_loopback(address):
        raise NetworkAccessError(f"test tried to reach {address!r}: tests must stay offline")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost", "127.0.0.1", "::1", "") and not str(host).startswith("127."):
        raise NetworkAccessError(f"test tried to resolve {host!r}: tests must stay offline")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config):
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class _SubmoduleAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve ``<pack>.ttm_core.x`` to the already-imported ``ttm_core.x``.

    Aliasing only the package is not enough: ``from ..ttm_core.types import ObjectSet`` inside
    the pack would load a second copy of ``ttm_core.types`` (and second classes) otherwise.
    """

    def __init__(self, prefix: str, target: str) -> None:
        self.prefix, self.target = prefix, target

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(self.prefix + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(self.target + spec.name[len(self.prefix):])
        self._spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        module.__spec__ = self._spec  # the import system overwrote it with the alias spec


def load_pack(name: str = "ttm_pack"):
    """Import the repo root as a ComfyUI custom-node package, as ComfyUI does.

    The pack's ``ttm_core`` is aliased to the top-level ``ttm_core`` the tests import, so
    objects built in tests are the same classes the nodes check against.
    """
    if name in sys.modules:
        return sys.modules[name]
    import ttm_core

    sys.modules[f"{name}.ttm_core"] = ttm_core
    sys.meta_path.insert(0, _SubmoduleAlias(f"{name}.ttm_core", "ttm_core"))
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def pack():
    return load_pack()


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny models run several times faster on one thread (threading overhead dominates their
    small ops), more so when other jobs share the 2 CI cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---- real ComfyUI servers (tests/test_server*.py, tests/test_browser*.py) ------------------------
from comfy_harness import server_kind_names  # noqa: E402  (stdlib only: cheap at collection)


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory):
    """A models tree written by ``python -m ttm_core tiny-models`` (the CLI under test)."""
    import subprocess

    root = tmp_path_factory.mktemp("tiny-models")
    subprocess.run([sys.executable, "-m", "ttm_core", "tiny-models", str(root)], cwd=ROOT, check=True,
                   capture_output=True, timeout=600)
    return root


@pytest.fixture(scope="session")
def _comfy_servers(tiny_models_dir, tmp_path_factory):
    """Started servers by kind name, stopped at the end of the session: ``comfy_server[current]``
    and ``current_comfy_server`` share one process."""
    from comfy_harness import ComfyServer, prepare_inputs, server_kinds

    servers = {}

    def get(name: str):
        kind = {k.name: k for k in server_kinds()}[name]
        if kind.fatal:
            pytest.fail(kind.skip_reason, pytrace=False)
        if kind.skip_reason:
            pytest.skip(kind.skip_reason)
        if name not in servers or not servers[name].alive():
            servers[name] = ComfyServer(kind, tmp_path_factory.mktemp(f"comfy-{name}"), tiny_models_dir).start()
            prepare_inputs(servers[name])
        return servers[name]

    yield get
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session", params=server_kind_names())
def comfy_server(request, _comfy_servers):
    """One real ComfyUI per server kind and session, with this pack and the tiny models.

    Kinds (``comfy_harness.server_kinds``): ``bundled`` (early-2024), ``current`` (v0.3.64+,
    ``.cache/comfyui-current``) and, when ``COMFYUI_DIR`` is set, ``env``. A kind skips only when
    there is nothing to test (no source for the current tree); a source that was not provisioned
    fails. Pytest orders the tests by kind; each server but the current one stops when its kind's
    tests are done, so at most the current one runs beside another.
    """
    server = _comfy_servers(request.param)
    yield server
    if request.param != "current":
        server.stop()


@pytest.fixture(scope="session")
def current_comfy_server(_comfy_servers):
    """The current ComfyUI server alone, for tests of what only it has (core Wan nodes, native
    workflows); the same process as ``comfy_server[current]``. Skips/fails like that kind."""
    return _comfy_servers("current")
