"""Generate + evaluate over benchmark cases, one row per guidance setting (an ablation table).

``generate(case, setting, seed) -> frames`` is an argument (the CLI passes stage 2 on a loaded
Wan model); every case of every setting uses the same seed, so a row is reproducible and rows
differ only by their setting. Row numbers are means over cases (objects count equally within a
case, cases equally within a row); ``s/video`` is generation time only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

from .api import evaluate_video
from .cases import Case
from .masks import nanmean
from .scores import VideoScores, format_rows

GenerateFn = Callable[[Case, dict, int], torch.Tensor]


def default_settings(beta_self: float = 0.5, beta_cross: float = 0.7) -> dict[str, dict[str, Any]]:
    """The four rows of a Table-3-style ablation (masked attention vs anchoring)."""
    off = {"beta_self": 0.0, "beta_cross": 0.0}
    on = {"beta_self": float(beta_self), "beta_cross": float(beta_cross)}
    return {
        "guidance off": {**off, "anchoring": False},
        "masked attention only": {**on, "anchoring": False},
        "anchoring only": {**off, "anchoring": True},
        "all on": {**on, "anchoring": True},
    }


@dataclass
class BenchmarkRow:
    setting: str
    miou: float
    centroid_error_px: float
    centroid_error: float
    average_displacement: float
    clip_frame: float
    seconds_per_video: float
    cases: dict[str, VideoScores] = field(default_factory=dict)

    def to_dict(self) -> dict:
        fix = lambda v: v if isinstance(v, float) and math.isfinite(v) else None
        return {"setting": self.setting, "miou": fix(self.miou), "centroid_error_px": fix(self.centroid_error_px),
                "centroid_error": fix(self.centroid_error), "average_displacement": fix(self.average_displacement),
                "clip_frame": fix(self.clip_frame), "seconds_per_video": self.seconds_per_video,
                "cases": {k: v.to_dict() for k, v in self.cases.items()}}


def _f(v: float, digits: int) -> str:
    return "-" if not math.isfinite(v) else f"{v:.{digits}f}"


def benchmark_table(rows: Sequence[BenchmarkRow]) -> str:
    head = ["setting", "mIoU ↑", "centroid px ↓", "centroid %diag ↓", "AD", "CF ↑", "s/video"]
    body = [[r.setting, _f(r.miou, 3), _f(r.centroid_error_px, 1), _f(100 * r.centroid_error, 2),
             _f(r.average_displacement, 2), _f(r.clip_frame, 4), _f(r.seconds_per_video, 1)] for r in rows]
    return format_rows(head, body)


def run_benchmark(cases: Sequence[Case], generate: GenerateFn, *, settings: dict[str, dict] | None = None,
                  seed: int = 0, log: Callable[[str], None] | None = None, **evaluate_options) -> list[BenchmarkRow]:
    """One :class:`BenchmarkRow` per setting; ``evaluate_options`` go to :func:`evaluate_video`."""
    settings = settings or default_settings()
    rows = []
    for name, setting in settings.items():
        per_case, seconds = {}, []
        for case in cases:
            started = time.perf_counter()
            frames = generate(case, dict(setting), int(seed))
            seconds.append(time.perf_counter() - started)
            per_case[case.name] = evaluate_video(frames, case.trajectory, **evaluate_options)
            if log:
                log(f"{name} / {case.name}: mIoU {_f(per_case[case.name].miou, 3)} ({seconds[-1]:.1f} s)")
        scores = list(per_case.values())
        mean = lambda attr: nanmean(np.array([getattr(s, attr) for s in scores]))
        rows.append(BenchmarkRow(name, mean("miou"), mean("centroid_error_px"), mean("centroid_error"),
                                 mean("average_displacement"), mean("clip_frame"), float(np.mean(seconds)), per_case))
    return rows


def stage2_generate(model: Any, *, steps: int, cfg: float, height: int = 0, width: int = 0,
                    **fixed) -> GenerateFn:
    """Stage 2 (:func:`ttm_core.pipeline.motion_to_video`) as a benchmark ``generate``."""
    from ..pipeline import motion_to_video

    def generate(case: Case, setting: dict, seed: int) -> torch.Tensor:
        traj = case.trajectory
        return motion_to_video(model, case.image, traj, case.plan, num_frames=traj.num_frames,
                               height=height or traj.height, width=width or traj.width, num_inference_steps=steps,
                               guidance_scale=cfg, seed=seed, **{**fixed, **setting})

    return generate
