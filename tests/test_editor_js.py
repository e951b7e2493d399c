"""The browser's copy of the editor math (web/ttm_motion_math.js) equals the server's, run by Node.js.

Both sides get the same random paths, timings, easings, scales and rotations; positions and the
frame-0 -> frame-t affine must agree to float64 round-off, so the widget's preview is the
trajectory the server builds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from ttm_core.motion.affine import similarity_affines
from ttm_core.motion.editor_math import EASINGS, object_motion, spline_polyline
from ttm_core.visualize import palette_uint8

ROOT = Path(__file__).resolve().parents[1]
MATH_JS = ROOT / "web" / "ttm_motion_math.js"

def _node() -> str:
    path = shutil.which("node") or shutil.which("nodejs")
    if path is None:
        pytest.skip("Node.js is not installed (apt-get install nodejs): the JS mirror cannot be run")
    return path


def _run_js(cases: list[dict]) -> list[dict]:
    script = (
        f"import * as m from {json.dumps(MATH_JS.as_uri())};\n"
        "import fs from 'node:fs';\n"
        "const cases = JSON.parse(fs.readFileSync(0, 'utf8'));\n"
        "const out = cases.map((c) => ({\n"
        "  poly: m.splinePolyline(c.obj.path),\n"
        "  frames: c.times.map((t) => { const mo = m.objectMotion(c.obj, c.centroid, t);\n"
        "    return {motion: mo, affine: m.similarity(c.centroid, mo)}; }),\n"
        "  frameTimes: [0, 1, 2, 3, 4].map((i) => m.frameTime(i, 5)),\n"
        "  colours: Array.from({length: 40}, (_, i) => m.colour(i)),\n"
        "}));\n"
        "process.stdout.write(JSON.stringify(out));\n"
    )
    done = subprocess.run([_node(), "--input-type=module", "-e", script], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for i in range(12):
        n = int(rng.integers(2, 6))
        start = float(rng.uniform(0, 0.5))
        obj = {
            "name": f"o{i}",
            "path": rng.uniform(-50, 900, (n, 2)).round(2).tolist(),
            "start": start, "end": float(rng.uniform(start + 0.05, 1.0)), "easing": EASINGS[i % 2],
            "end_scale": float(rng.uniform(0.3, 2.5)), "rotation": float(rng.uniform(-270, 270)),
        }
        centroid = rng.uniform(0, 800, 2).tolist()
        if i == 0:  # every handle on the centroid: a path of zero length stays put
            obj["path"] = [obj["path"][0], centroid, centroid]
        cases.append({"obj": obj, "centroid": centroid,
                      "times": np.linspace(0, 1, 17).tolist() + [0.123456789]})
    return cases


def test_js_math_equals_the_python_math():
    cases = _cases(np.random.default_rng(7))
    results = _run_js(cases)
    assert results[0]["frameTimes"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert results[0]["colours"] == palette_uint8(40)[1:].tolist()  # the widget's colours are the pack's
    for case, js in zip(cases, results):
        obj, times = case["obj"], np.asarray(case["times"])
        np.testing.assert_allclose(np.asarray(js["poly"]), spline_polyline(np.asarray(obj["path"])), rtol=0, atol=1e-9)
        shift, scale, rot = object_motion(
            np.asarray(obj["path"]), np.asarray(case["centroid"]), times, start=obj["start"], end=obj["end"],
            easing=obj["easing"], end_scale=obj["end_scale"], rotation=obj["rotation"],
        )
        js_shift = np.asarray([f["motion"]["shift"] for f in js["frames"]])
        np.testing.assert_allclose(js_shift, shift, rtol=0, atol=1e-8)
        np.testing.assert_allclose([f["motion"]["scale"] for f in js["frames"]], scale, rtol=0, atol=1e-12)
        np.testing.assert_allclose([f["motion"]["rot"] for f in js["frames"]], rot, rtol=0, atol=1e-9)
        aff = similarity_affines(
            torch.tensor([case["centroid"]], dtype=torch.float64), torch.from_numpy(shift)[:, None],
            torch.from_numpy(scale)[:, None], torch.from_numpy(rot)[:, None],
        )[:, 0].numpy()
        js_aff = np.asarray([[[f["affine"]["a"], -f["affine"]["b"], f["affine"]["tx"]],
                              [f["affine"]["b"], f["affine"]["a"], f["affine"]["ty"]]] for f in js["frames"]])
        np.testing.assert_allclose(js_aff, aff, rtol=0, atol=1e-8)
