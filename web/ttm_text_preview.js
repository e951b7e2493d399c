// Shows the text a Through-The-Mask node reports (ui.text) on the node itself: the prompt plan
// of "TTM Decompose Prompt", the file written by "TTM Save Trajectory", the draft scores.
// Works with the legacy frontend (early 2024) and comfyui-frontend-package (via its shims).
import { app } from "../../scripts/app.js";
import { ComfyWidgets } from "../../scripts/widgets.js";

const WIDGET = "ttm_preview";

function showText(node, text) {
  let widget = node.widgets?.find((w) => w.name === WIDGET);
  if (!widget) {
    widget = ComfyWidgets["STRING"](node, WIDGET, ["STRING", { multiline: true }], app).widget;
    widget.options = widget.options || {};
    widget.options.serialize = false; // never sent to the server
    if (widget.inputEl) {
      widget.inputEl.readOnly = true;
      widget.inputEl.style.opacity = 0.75;
    }
  }
  widget.value = text;
  const size = node.computeSize();
  node.setSize([Math.max(node.size[0], size[0]), Math.max(node.size[1], size[1])]);
  node.setDirtyCanvas?.(true, true);
}

app.registerExtension({
  name: "ThroughTheMask.TextPreview",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (!nodeData?.name?.startsWith("TTM")) return;
    const onExecuted = nodeType.prototype.onExecuted;
    nodeType.prototype.onExecuted = function (message) {
      const result = onExecuted?.apply(this, arguments);
      if (message?.text?.length) showText(this, message.text.join("\n"));
      return result;
    };
  },
});
