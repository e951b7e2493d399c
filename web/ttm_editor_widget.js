// The motion editor widget itself (DOM, state, images, mouse): the "TTM Motion Editor" node
// creates one per node in the current frontend (see ttm_motion_editor.js). Edits go into the
// node's editor_state text widget (JSON), which saves with the workflow.
import { api } from "../../scripts/api.js";
import * as M from "./ttm_motion_math.js";
import { drawView, drawnCentroids, masksFromLabels } from "./ttm_editor_view.js";

const FIELDS = [
  ["start", "start", 0, 1, 0.05], ["end", "end", 0, 1, 0.05], ["end_scale", "end scale", 0.05, 10, 0.05],
  ["rotation", "rotation°", -720, 720, 5], ["z", "z", -100, 100, 1],
];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, attrs);
  for (const c of children) e.append(c);
  return e;
}

function viewUrl(file) {
  const q = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder || "", type: file.type || "temp" });
  return api.apiURL(`/view?${q}`);
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = reject;
    img.src = url;
  });
}

export class MotionEditor {
  constructor(node) {
    this.node = node;
    this.stateWidget = node.widgets.find((w) => w.name === "editor_state");
    this.state = { version: 1, objects: [] };
    this.selected = null;
    this.width = 832; this.height = 480;
    this.image = null; this.masks = {}; this.server = null;
    this.frame = 0;
    this.build();
    this.readState();
  }

  // ---- DOM --------------------------------------------------------------------------------
  build() {
    const stop = (e) => e.stopPropagation();
    this.select = el("select", { className: "ttm-editor-object", title: "Selected object" });
    this.select.onchange = () => { this.selected = this.select.value || null; this.refresh(); };
    this.nameInput = el("input", { className: "ttm-editor-name", size: 8, title: "Name of the selected object" });
    this.nameInput.onchange = () => this.rename(this.nameInput.value.trim());
    const button = (text, title, fn) => { const b = el("button", { textContent: text, title }); b.onclick = fn; return b; };
    this.easing = el("select", { className: "ttm-editor-easing", title: "Easing of the selected object's motion" });
    for (const e of M.EASINGS) this.easing.append(el("option", { value: e, textContent: e }));
    this.easing.onchange = () => this.setField("easing", this.easing.value);
    this.inputs = {};
    const fields = FIELDS.map(([key, label, min, max, step]) => {
      const input = el("input", { type: "number", min, max, step, className: `ttm-editor-${key}`, style: "width:4.5em" });
      input.onchange = () => this.setField(key, Number(input.value));
      this.inputs[key] = input;
      return el("label", {}, `${label} `, input);
    });
    this.canvas = el("canvas", { className: "ttm-editor-canvas" });
    this.canvas.style.cssText = "display:block;margin:auto;cursor:crosshair;touch-action:none";
    this.wrap = el("div", { className: "ttm-editor-wrap" }, this.canvas);
    this.wrap.style.cssText = "flex:1 1 auto;min-height:120px;overflow:hidden";
    this.slider = el("input", { type: "range", min: 0, max: 0, value: 0, className: "ttm-editor-scrub", style: "flex:1" });
    this.slider.oninput = () => { this.frame = Number(this.slider.value); this.redraw(); };
    this.frameLabel = el("span", { className: "ttm-editor-frame" });
    this.note = el("div", { className: "ttm-editor-note", style: "opacity:0.75" });
    this.serverImg = el("img", { className: "ttm-editor-server", style: "display:none;max-height:140px;margin:auto" });
    const row = (...c) => { const r = el("div", {}, ...c); r.style.cssText = "display:flex;gap:4px;flex-wrap:wrap;align-items:center"; return r; };
    this.root = el(
      "div", { className: "ttm-editor" },
      row(this.select, this.nameInput,
        button("new object", "The next click on the image starts a new object", () => { this.selected = null; this.refresh(); }),
        button("delete object", "Delete the selected object", () => this.deleteObject()),
        button("delete path", "Delete the selected object's path (it stays still)", () => this.setField("path", []))),
      row(...fields, el("label", {}, "easing ", this.easing)),
      this.wrap, row(el("span", { textContent: "frame" }), this.slider, this.frameLabel), this.serverImg, this.note,
    );
    this.root.style.cssText = "display:flex;flex-direction:column;gap:4px;font:12px sans-serif;color:var(--input-text,#ddd)";
    for (const type of ["pointerdown", "pointermove", "pointerup", "wheel", "keydown"]) this.root.addEventListener(type, stop);
    this.canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    this.canvas.addEventListener("pointerdown", (e) => this.onDown(e));
    this.canvas.addEventListener("pointermove", (e) => this.onMove(e));
    this.canvas.addEventListener("pointerup", (e) => this.onUp(e));
    this.canvas.addEventListener("dblclick", (e) => this.onDoubleClick(e));
    new ResizeObserver(() => this.fit()).observe(this.wrap);
  }

  fit() {
    const box = this.wrap.getBoundingClientRect();
    const zoom = box.width / (this.wrap.offsetWidth || box.width || 1);
    const w = this.wrap.clientWidth, h = this.wrap.clientHeight;
    if (!w || !h || !zoom) return;
    const s = Math.min(w / this.width, h / this.height);
    this.canvas.style.width = `${this.width * s}px`;
    this.canvas.style.height = `${this.height * s}px`;
  }

  // ---- state ------------------------------------------------------------------------------
  readState() {
    try {
      const parsed = JSON.parse(this.stateWidget.value || "{}");
      this.state = { version: 1, objects: Array.isArray(parsed.objects) ? parsed.objects : [] };
      this.note.textContent = "";
    } catch (err) {
      this.note.textContent = `editor_state is not valid JSON (${err.message}); the next edit replaces it.`;
    }
    if (this.selected && !this.object(this.selected)) this.selected = null;
    this.refresh();
  }

  writeState() {
    this.stateWidget.value = JSON.stringify(this.state);
    this.stateWidget.callback?.(this.stateWidget.value);
    this.node.graph?.setDirtyCanvas?.(true, true);
  }

  object(name) { return this.state.objects.find((o) => o.name === name); }

  newObject(point) {
    let i = this.state.objects.length + 1;
    while (this.object(`object_${i}`)) i += 1;
    const obj = { name: `object_${i}`, points: [point], negative: [], path: [], start: 0, end: 1,
      easing: "linear", end_scale: 1, rotation: 0, z: 0 };
    this.state.objects.push(obj);
    this.selected = obj.name;
    return obj;
  }

  setField(key, value) {
    const obj = this.object(this.selected);
    if (!obj) return;
    obj[key] = value;
    this.writeState();
    this.refresh();
  }

  rename(name) {
    const obj = this.object(this.selected);
    if (!obj || !name || this.object(name)) return this.refresh();
    obj.name = name;
    this.selected = name;
    this.writeState();
    this.refresh();
  }

  deleteObject() {
    this.state.objects = this.state.objects.filter((o) => o.name !== this.selected);
    this.selected = null;
    this.writeState();
    this.refresh();
  }

  numFrames() {
    const w = this.node.widgets.find((x) => x.name === "num_frames");
    return Math.max(1, Number(w?.value) || 1);
  }

  refresh() {
    this.select.replaceChildren(el("option", { value: "", textContent: "(new object)" }),
      ...this.state.objects.map((o) => el("option", { value: o.name, textContent: o.name })));
    this.select.value = this.selected || "";
    const obj = this.object(this.selected);
    this.nameInput.value = obj?.name || "";
    for (const [key] of FIELDS) this.inputs[key].value = obj ? (obj[key] ?? (key === "end" ? 1 : key === "end_scale" ? 1 : 0)) : "";
    this.easing.value = obj?.easing || "linear";
    const n = this.numFrames();
    this.slider.max = n - 1;
    this.frame = Math.min(this.frame, n - 1);
    this.slider.value = this.frame;
    this.redraw();
  }

  redraw() {
    const n = this.numFrames();
    this.frameLabel.textContent = `${this.frame} / ${n - 1}`;
    if (this.canvas.width !== this.width || this.canvas.height !== this.height) {
      this.canvas.width = this.width; this.canvas.height = this.height; this.fit();
    }
    const server = this.server && this.server.num_frames === n ? this.server.centroids[this.frame] : null;
    drawView(this.canvas.getContext("2d"), {
      state: this.state, masks: this.masks, image: this.image, width: this.width, height: this.height,
      t: M.frameTime(this.frame, n), selected: this.selected, serverCentroids: server,
    });
  }

  /** Centroids of the masks as the widget draws them at a frame (for tests and users' checks). */
  previewCentroids(frame) {
    return drawnCentroids(this.state, this.masks, this.width, this.height, M.frameTime(frame, this.numFrames()));
  }

  // ---- images -----------------------------------------------------------------------------
  async showUpstreamImage() {
    if (this.image) return;
    const slot = this.node.inputs?.findIndex((i) => i.name === "image");
    const source = slot >= 0 ? this.node.getInputNode?.(slot) : null;
    const name = source?.widgets?.find((w) => w.name === "image")?.value;
    if (!name || this.image) return;
    try {
      const [file, subfolder] = String(name).split("/").reverse();
      const img = await loadImage(viewUrl({ filename: file, subfolder: subfolder || "", type: "input" }));
      if (this.image) return;
      this.image = img; this.width = img.naturalWidth; this.height = img.naturalHeight;
      this.redraw();
    } catch { /* the run will send the image */ }
  }

  async onExecuted(payload) {
    const [img, labels] = await Promise.all([loadImage(viewUrl(payload.image)), loadImage(viewUrl(payload.labels))]);
    const c = el("canvas", { width: payload.width, height: payload.height });
    const ctx = c.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(labels, 0, 0);
    this.masks = masksFromLabels(ctx.getImageData(0, 0, payload.width, payload.height), payload.names, payload.palette || []);
    this.image = img; this.width = payload.width; this.height = payload.height;
    this.server = payload;
    this.serverImg.src = viewUrl(payload.summary);
    this.serverImg.style.display = "block";
    this.serverImg.title = "The server's trajectory (all paths); white crosses on the image: its centroids at this frame";
    const missing = payload.names.filter((n) => !this.object(n));
    if (missing.length) {
      for (const n of missing) this.state.objects.push({ name: n, points: [], negative: [], path: [] });
      this.writeState();
    }
    this.runs = (this.runs || 0) + 1;
    this.refresh();
  }

  // ---- mouse ------------------------------------------------------------------------------
  toImage(e) {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * this.width - 0.5, ((e.clientY - r.top) / r.height) * this.height - 0.5];
  }

  pxPerImage() { return this.canvas.getBoundingClientRect().width / this.width; }

  hitHandle(p) {
    const tol = 8 / this.pxPerImage();
    for (const obj of this.state.objects) {
      const path = obj.path || [];
      for (let k = 1; k < path.length; k++) {
        if (Math.hypot(path[k][0] - p[0], path[k][1] - p[1]) <= tol) return { obj, k };
      }
    }
    return null;
  }

  hitObject(p) {
    const [x, y] = p.map(Math.round);
    for (const [name, m] of Object.entries(this.masks)) {
      if (x < 0 || y < 0 || x >= this.width || y >= this.height) break;
      const px = m.canvas.getContext("2d").getImageData(x, y, 1, 1).data;
      if (px[3] > 0 && this.object(name)) return this.object(name);
    }
    const tol = 20 / this.pxPerImage();
    let best = null, dist = tol;
    for (const obj of this.state.objects) {
      for (const q of obj.points || []) {
        const d = Math.hypot(q[0] - p[0], q[1] - p[1]);
        if (d <= dist) { dist = d; best = obj; }
      }
    }
    return best;
  }

  onDown(e) {
    const p = this.toImage(e);
    this.canvas.setPointerCapture?.(e.pointerId);
    this.drag = { start: p, trail: [p], moved: false, handle: this.hitHandle(p), target: this.hitObject(p),
      negative: e.button === 2 || e.shiftKey, add: e.ctrlKey || e.metaKey };
  }

  onMove(e) {
    if (!this.drag) return;
    const p = this.toImage(e);
    const d = this.drag;
    if (!d.moved && Math.hypot(p[0] - d.start[0], p[1] - d.start[1]) * this.pxPerImage() > 5) d.moved = true;
    if (!d.moved) return;
    if (d.handle) d.handle.obj.path[d.handle.k] = p;
    else d.trail.push(p);
    this.redraw();
  }

  onUp(e) {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    const p = this.toImage(e);
    const round = (q) => [Math.round(q[0] * 100) / 100, Math.round(q[1] * 100) / 100];
    if (d.handle) {
      if (d.moved) { d.handle.obj.path[d.handle.k] = round(p); this.writeState(); }
    } else if (d.moved) {
      const obj = d.target || this.object(this.selected);
      if (obj) {
        d.trail.push(p);
        const mids = M.arcPositions(d.trail, [1 / 3, 2 / 3]);
        obj.path = [d.start, ...mids, p].map(round);
        this.selected = obj.name;
        this.writeState();
      }
    } else if (d.negative) {
      const obj = this.object(this.selected);
      if (obj) { (obj.negative = obj.negative || []).push(round(p)); this.writeState(); }
    } else if (d.add && this.object(this.selected)) {
      this.object(this.selected).points.push(round(p));
      this.writeState();
    } else if (d.target) {
      this.selected = d.target.name;
    } else if (!this.upstreamObjects()) {
      this.newObject(round(p));
      this.writeState();
    } else {
      this.note.textContent = "Objects come from the objects input: click inside a mask to select one.";
    }
    this.refresh();
  }

  onDoubleClick(e) {
    const hit = this.hitHandle(this.toImage(e));
    if (!hit) return;
    hit.obj.path.splice(hit.k, 1);
    if (hit.obj.path.length < 2) hit.obj.path = [];
    this.writeState();
    this.refresh();
  }

  upstreamObjects() {
    return this.node.inputs?.some((i) => i.name === "objects" && i.link != null);
  }
}

