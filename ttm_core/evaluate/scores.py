"""The numbers of one evaluated video, as a dataclass, a JSON-ready dict and a printed table."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


def _num(value: float | None) -> float | None:
    """JSON has no NaN: undefined numbers become null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


@dataclass
class ObjectScores:
    """One object: means over the scored frames and the per-frame series (NaN = not scored)."""

    name: str
    miou: float
    visibility: float
    centroid_error_px: float
    centroid_error: float  # fraction of the frame diagonal
    end_point_error_px: float
    frames_visible: int  # scored frames where the target shows the object
    iou: list[float] = field(default_factory=list)
    centroid_errors_px: list[float] = field(default_factory=list)


@dataclass
class VideoScores:
    """Every number of one video against its target trajectory; objects count equally."""

    objects: list[ObjectScores]
    miou: float
    visibility: float
    centroid_error_px: float
    centroid_error: float
    end_point_error_px: float
    average_displacement: float
    background_stability: float
    clip_frame: float
    num_frames: int
    width: int
    height: int
    flow: str
    seconds: float = 0.0

    def to_dict(self) -> dict:
        out = asdict(self)
        for key, value in list(out.items()):
            if isinstance(value, float):
                out[key] = _num(value)
        for obj in out["objects"]:
            for key, value in list(obj.items()):
                if isinstance(value, float):
                    obj[key] = _num(value)
                elif isinstance(value, list):
                    obj[key] = [_num(v) for v in value]
        return out

    def table(self) -> str:
        """Per-object rows and the overall row, aligned for a terminal or the node's text box."""
        head = ["object", "mIoU", "visible", "centroid px", "centroid %diag", "EPE px"]
        rows = [[o.name, _fmt(o.miou), _fmt(o.visibility), _fmt(o.centroid_error_px, 1),
                 _fmt(100 * o.centroid_error, 2), _fmt(o.end_point_error_px, 1)] for o in self.objects]
        rows.append(["all", _fmt(self.miou), _fmt(self.visibility), _fmt(self.centroid_error_px, 1),
                     _fmt(100 * self.centroid_error, 2), _fmt(self.end_point_error_px, 1)])
        text = format_rows(head, rows)
        extra = (f"AD {_fmt(self.average_displacement, 2)} px/frame | background motion "
                 f"{_fmt(self.background_stability, 3)} px/frame | CLIPFrame {_fmt(self.clip_frame, 4)}")
        return f"{text}\n{extra}\n{self.num_frames} frames at {self.width}x{self.height}, flow: {self.flow}"


def format_rows(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(head), "  ".join("-" * w for w in widths), *[line(r) for r in rows]])


@dataclass
class Ranking:
    """Candidates scored against one trajectory; ``best`` follows the masks best."""

    best: int
    scores: list[VideoScores]
    key: str = "miou"

    def to_dict(self) -> dict:
        return {"best": self.best, "key": self.key, "candidates": [s.to_dict() for s in self.scores]}

    def table(self) -> str:
        head = ["candidate", "mIoU", "visible", "centroid px", "AD", "bg motion", "CF"]
        rows = [[f"{i}{' *' if i == self.best else ''}", _fmt(s.miou), _fmt(s.visibility), _fmt(s.centroid_error_px, 1),
                 _fmt(s.average_displacement, 2), _fmt(s.background_stability, 3), _fmt(s.clip_frame, 4)]
                for i, s in enumerate(self.scores)]
        return format_rows(head, rows)
