// The motion editor's path math in the browser: a line-by-line mirror of
// ttm_core/motion/editor_math.py (spline, constant-speed sampling, timing, easing) and of the
// similarity transform of ttm_core/motion/affine.py, so the preview shows the masks where the
// server's trajectory puts them. tests/test_editor_js.py runs both and compares them.
// Pure functions, no imports: ComfyUI loads this file as an (empty) extension too.

export const SAMPLES_PER_SEGMENT = 16;
export const EASINGS = ["linear", "ease_in_out"];

/** Catmull-Rom spline through handles [[x, y], ...] (end handles repeated) as a polyline. */
export function splinePolyline(handles) {
  const h = handles.map((p) => [Number(p[0]), Number(p[1])]);
  if (h.length < 2) return h.map((p) => [p[0], p[1]]);
  const pad = [h[0], ...h, h[h.length - 1]];
  const out = [];
  for (let i = 0; i < h.length - 1; i++) {
    const p0 = pad[i], p1 = pad[i + 1], p2 = pad[i + 2], p3 = pad[i + 3];
    for (let j = 0; j < SAMPLES_PER_SEGMENT; j++) {
      const s = j / SAMPLES_PER_SEGMENT;
      const pt = [0, 0];
      for (let d = 0; d < 2; d++) {
        const a = 2.0 * p1[d];
        const b = p2[d] - p0[d];
        const c = 2.0 * p0[d] - 5.0 * p1[d] + 4.0 * p2[d] - p3[d];
        const e = 3.0 * p1[d] - p0[d] - 3.0 * p2[d] + p3[d];
        pt[d] = 0.5 * (a + s * (b + s * (c + s * e)));
      }
      out.push(pt);
    }
  }
  out.push([h[h.length - 1][0], h[h.length - 1][1]]);
  return out;
}

function interp(x, xp, fp) {
  // numpy.interp for increasing xp
  const last = xp.length - 1;
  if (x <= xp[0]) return fp[0];
  if (x >= xp[last]) return fp[last];
  let lo = 0, hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] <= x) lo = mid; else hi = mid;
  }
  const slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
  return slope * (x - xp[lo]) + fp[lo];
}

/** Points at fractions (0..1) of the polyline's length; repeated points are skipped. */
export function arcPositions(points, fractions) {
  const pts = [points[0]];
  for (let i = 1; i < points.length; i++) {
    const q = points[i - 1];
    if (points[i][0] !== q[0] || points[i][1] !== q[1]) pts.push(points[i]);
  }
  if (pts.length < 2) return fractions.map(() => [points[0][0], points[0][1]]);
  const cum = [0.0];
  for (let i = 1; i < pts.length; i++) {
    cum.push(cum[i - 1] + Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]));
  }
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const total = cum[cum.length - 1];
  return fractions.map((f) => [interp(f * total, cum, xs), interp(f * total, cum, ys)]);
}

export function ease(u, kind) {
  return kind === "ease_in_out" ? u * u * (3.0 - 2.0 * u) : u;
}

/** Clip time of frame i of n (frame 0 at 0, the last at 1). */
export function frameTime(i, n) {
  return n <= 1 ? 0.0 : i / (n - 1);
}

export function progress(t, start, end, easing) {
  const u = Math.min(1.0, Math.max(0.0, (t - start) / (end - start)));
  return ease(u, easing);
}

/** {shift: [dx, dy], scale, rot} of one editor object at clip time t (see editor_math.py). */
export function objectMotion(obj, centroid, t) {
  const u = progress(t, obj.start ?? 0.0, obj.end ?? 1.0, obj.easing ?? "linear");
  let shift = [0.0, 0.0];
  const path = obj.path || [];
  if (path.length >= 2) {
    const pts = [[centroid[0], centroid[1]], ...path.slice(1)];
    const p = arcPositions(splinePolyline(pts), [u])[0];
    shift = [p[0] - centroid[0], p[1] - centroid[1]];
  }
  const endScale = obj.end_scale ?? 1.0;
  return { shift, scale: 1.0 + (endScale - 1.0) * u, rot: (obj.rotation ?? 0.0) * u };
}

/** Frame-0 point p -> frame t: A (p - c) + c + shift, A = scale * rotation (clockwise on screen). */
export function similarity(centroid, motion) {
  const theta = motion.rot * (Math.PI / 180.0);
  const a = motion.scale * Math.cos(theta);
  const b = motion.scale * Math.sin(theta);
  const cx = centroid[0], cy = centroid[1];
  const tx = cx + motion.shift[0] - (a * cx - b * cy);
  const ty = cy + motion.shift[1] - (b * cx + a * cy);
  return { a, b, tx, ty }; // x' = a x - b y + tx ; y' = b x + a y + ty
}

// Object colours of ttm_core/visualize/palette.py (object index i = label - 1).
export const PALETTE = [
  [230, 25, 75], [60, 180, 75], [0, 130, 200], [255, 225, 25], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255],
  [170, 110, 40], [255, 250, 200], [128, 0, 0], [170, 255, 195], [128, 128, 0], [255, 215, 180],
  [0, 0, 128], [128, 128, 128],
];

export function colour(i) {
  if (i < PALETTE.length) return PALETTE[i];
  const hue = (i * 0.618033988749895) % 1.0;
  const sat = 0.65 + (0.3 * ((i * 7) % 3)) / 2;
  const v = 0.95, k = Math.floor(hue * 6), f = hue * 6 - k;
  const p = v * (1 - sat), q = v * (1 - sat * f), r = v * (1 - sat * (1 - f));
  const rgb = [[v, r, p], [q, v, p], [p, v, r], [p, q, v], [r, p, v], [v, p, q]][k % 6];
  return rgb.map((c) => Math.floor(c * 255 + 0.5));
}
