// Drawing and read-out of the motion editor (no ComfyUI imports): the first frame, each object's
// mask moved to the scrub time with the shared math (ttm_motion_math.js), paths, handles, clicks.
import * as M from "./ttm_motion_math.js";

/** Per-object frame-0 masks from the server's label map (label k in the red channel). */
export function masksFromLabels(imageData, names, palette) {
  const { width, height, data } = imageData;
  const out = {};
  names.forEach((name, i) => {
    const label = i + 1;
    const colour = palette[label] || M.colour(i);
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(width, height);
    let sx = 0, sy = 0, n = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 4;
        if (data[o] !== label) continue;
        img.data[o] = colour[0]; img.data[o + 1] = colour[1]; img.data[o + 2] = colour[2]; img.data[o + 3] = 255;
        sx += x; sy += y; n += 1;
      }
    }
    ctx.putImageData(img, 0, 0);
    out[name] = { canvas, centroid: n ? [sx / n, sy / n] : null, colour, label };
  });
  return out;
}

/** Paint order of the objects at one time: by z, ties by label (higher label in front). */
function paintOrder(state, masks) {
  const byName = Object.fromEntries(state.objects.map((o) => [o.name, o]));
  return Object.entries(masks)
    .filter(([, m]) => m.centroid)
    .sort((a, b) => ((byName[a[0]]?.z ?? 0) - (byName[b[0]]?.z ?? 0)) || (a[1].label - b[1].label));
}

/** Draw every mask moved to clip time t (image-pixel canvas; pixel centres at integers). */
export function drawMasks(ctx, state, masks, t, alpha) {
  const byName = Object.fromEntries(state.objects.map((o) => [o.name, o]));
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.globalAlpha = alpha;
  for (const [name, m] of paintOrder(state, masks)) {
    const obj = byName[name] || {};
    const f = M.similarity(m.centroid, M.objectMotion(obj, m.centroid, t));
    // canvas x = image x + 0.5: X' = A X + (t + 0.5 - A (0.5, 0.5))
    const e = f.tx + 0.5 - (f.a * 0.5 - f.b * 0.5);
    const g = f.ty + 0.5 - (f.b * 0.5 + f.a * 0.5);
    ctx.setTransform(f.a, f.b, -f.b, f.a, e, g);
    ctx.drawImage(m.canvas, 0, 0);
  }
  ctx.restore();
}

/** Centroids of the masks as drawn at clip time t (read back from the pixels), by name. */
export function drawnCentroids(state, masks, width, height, t) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  drawMasks(ctx, state, masks, t, 1.0);
  const data = ctx.getImageData(0, 0, width, height).data;
  const entries = Object.entries(masks);
  const sums = entries.map(() => [0, 0, 0]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (data[o + 3] < 128) continue;
      let best = -1, dist = 1e9;
      entries.forEach(([, m], i) => {
        const d = Math.abs(data[o] - m.colour[0]) + Math.abs(data[o + 1] - m.colour[1]) + Math.abs(data[o + 2] - m.colour[2]);
        if (d < dist) { dist = d; best = i; }
      });
      if (best >= 0 && dist < 24) { sums[best][0] += x; sums[best][1] += y; sums[best][2] += 1; }
    }
  }
  return Object.fromEntries(entries.map(([name], i) => [name, sums[i][2] ? [sums[i][0] / sums[i][2], sums[i][1] / sums[i][2]] : null]));
}

function dot(ctx, x, y, r, fill, stroke) {
  ctx.beginPath();
  ctx.arc(x + 0.5, y + 0.5, r, 0, Math.PI * 2);
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.lineWidth = Math.max(1, r / 3);
  ctx.strokeStyle = stroke;
  ctx.stroke();
}

/** The whole view: image, moved masks, paths with handles, clicks, names, server centroids. */
export function drawView(ctx, view) {
  const { state, masks, image, width, height, t, selected, serverCentroids } = view;
  const unit = Math.max(width, height) / 400;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#222";
  ctx.fillRect(0, 0, width, height);
  if (image) ctx.drawImage(image, 0, 0, width, height);
  drawMasks(ctx, state, masks, t, 0.55);
  state.objects.forEach((obj, i) => {
    const mask = masks[obj.name];
    const colour = mask?.colour || M.colour(i);
    const css = `rgb(${colour[0]},${colour[1]},${colour[2]})`;
    const centroid = mask?.centroid;
    const path = obj.path || [];
    if (path.length >= 2) {
      const pts = centroid ? [centroid, ...path.slice(1)] : path;
      const poly = M.splinePolyline(pts);
      ctx.beginPath();
      poly.forEach(([x, y], k) => (k ? ctx.lineTo(x + 0.5, y + 0.5) : ctx.moveTo(x + 0.5, y + 0.5)));
      ctx.lineWidth = (obj.name === selected ? 2.5 : 1.5) * unit;
      ctx.strokeStyle = css;
      ctx.stroke();
      pts.forEach(([x, y], k) => dot(ctx, x, y, (k ? 4 : 3) * unit, k ? "#fff" : css, css));
    }
    for (const [x, y] of obj.points || []) dot(ctx, x, y, 3.5 * unit, css, obj.name === selected ? "#fff" : "#000");
    for (const [x, y] of obj.negative || []) dot(ctx, x, y, 3.5 * unit, "#000", css);
    const at = centroid
      ? M.similarity(centroid, M.objectMotion(obj, centroid, t))
      : null;
    const label = at ? [at.a * centroid[0] - at.b * centroid[1] + at.tx, at.b * centroid[0] + at.a * centroid[1] + at.ty]
      : (obj.points || [])[0];
    if (label) {
      ctx.font = `${Math.round(11 * unit)}px sans-serif`;
      ctx.fillStyle = "#fff";
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 3 * unit / 2;
      ctx.strokeText(obj.name, label[0] + 6 * unit, label[1] - 6 * unit);
      ctx.fillText(obj.name, label[0] + 6 * unit, label[1] - 6 * unit);
    }
  });
  for (const c of serverCentroids || []) {
    if (!c || c[0] === null) continue;
    ctx.beginPath();
    ctx.moveTo(c[0] - 4 * unit, c[1] + 0.5); ctx.lineTo(c[0] + 5 * unit, c[1] + 0.5);
    ctx.moveTo(c[0] + 0.5, c[1] - 4 * unit); ctx.lineTo(c[0] + 0.5, c[1] + 5 * unit);
    ctx.lineWidth = unit;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
  }
}
