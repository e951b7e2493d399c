"""Test-session guards and shared fixtures.

Every socket that leaves the loopback interface fails the test: weights, tokenizers and configs
must come from the tiny offline builders, never from a hub.
"""

from __future__ import annotations

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


def load_pack(name: str = "ttm_pack"):
    """Import the repo root as a ComfyUI custom-node package, as ComfyUI does.

    The pack's ``ttm_core`` is aliased to the top-level ``ttm_core`` the tests import, so
    objects built in tests are the same classes the nodes check against.
    """
    if name in sys.modules:
        return sys.modules[name]
    import ttm_core

    sys.modules[f"{name}.ttm_core"] = ttm_core
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
