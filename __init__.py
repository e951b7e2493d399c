"""ComfyUI entry point of the Through-The-Mask node pack (node mappings and web folder only)."""

if __package__:  # ComfyUI imports the folder as a package; pytest may import this file on its own
    from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
else:  # pragma: no cover
    NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS = {}, {}

WEB_DIRECTORY = "./web"  # shows plan previews and other node text in the frontend

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
