// The "TTM Motion Editor" widget: click objects, drag their paths, set their timing, scrub the
// preview. Everything is written into the node's editor_state text widget (JSON), which saves
// with the workflow and is all the server reads. Current frontend (comfyui-frontend-package):
// the full widget (ttm_editor_widget.js). The legacy frontend (early 2024): the plain
// editor_state text with a note.
import { app } from "../../scripts/app.js";
import { MotionEditor } from "./ttm_editor_widget.js";

const NODE = "TTMMotionEditor";
const LEGACY_NOTE =
  "This ComfyUI frontend is too old for the motion editor widget: edit editor_state as JSON " +
  '(per object: name, points, negative, path, start, end, easing, end_scale, rotation, z; see the README).';

function addLegacyNote(node) {
  const widget = node.addWidget("text", "ttm_note", LEGACY_NOTE, () => {}, { serialize: false });
  widget.serialize = false;
  node.setSize([Math.max(node.size[0], 420), node.size[1]]);
}

app.registerExtension({
  name: "ThroughTheMask.MotionEditor",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData?.name !== NODE) return;
    const legacy = !window.comfyAPI;
    const onNodeCreated = nodeType.prototype.onNodeCreated;
    nodeType.prototype.onNodeCreated = function () {
      const result = onNodeCreated?.apply(this, arguments);
      if (legacy) { addLegacyNote(this); return result; }
      const editor = new MotionEditor(this);
      this.ttmEditor = editor;
      const widget = this.addDOMWidget("ttm_motion_editor", "ttm_motion_editor", editor.root, {
        getValue: () => "", setValue: () => {}, serialize: false, getMinHeight: () => 460,
      });
      widget.serialize = false;
      const sync = editor.stateWidget.callback;
      editor.stateWidget.callback = function (v) {
        const r = sync?.apply(this, arguments);
        if (v !== JSON.stringify(editor.state)) editor.readState();
        return r;
      };
      for (const name of ["num_frames"]) {
        const w = this.widgets.find((x) => x.name === name);
        const cb = w?.callback;
        if (w) w.callback = function () { const r = cb?.apply(this, arguments); editor.refresh(); return r; };
      }
      this.setSize([Math.max(this.size[0], 620), Math.max(this.size[1], 820)]);
      return result;
    };
    const onConfigure = nodeType.prototype.onConfigure;
    nodeType.prototype.onConfigure = function () {
      const result = onConfigure?.apply(this, arguments);
      if (this.ttmEditor) {
        this.setSize([Math.max(this.size[0], 620), Math.max(this.size[1], 820)]);
        this.ttmEditor.readState();
        setTimeout(() => this.ttmEditor.showUpstreamImage(), 0);
      }
      return result;
    };
    const onConnectionsChange = nodeType.prototype.onConnectionsChange;
    nodeType.prototype.onConnectionsChange = function () {
      const result = onConnectionsChange?.apply(this, arguments);
      if (this.ttmEditor) setTimeout(() => this.ttmEditor.showUpstreamImage(), 0);
      return result;
    };
    const onExecuted = nodeType.prototype.onExecuted;
    nodeType.prototype.onExecuted = function (message) {
      const result = onExecuted?.apply(this, arguments);
      const payload = message?.ttm_editor?.[0];
      if (payload && this.ttmEditor) {
        this.ttmEditor.onExecuted(payload).catch((err) => { this.ttmEditor.note.textContent = `preview failed: ${err}`; });
      }
      return result;
    };
  },
});
