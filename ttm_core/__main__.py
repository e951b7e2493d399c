"""``python -m ttm_core {demo,generate,tiny-models}``: see :mod:`ttm_core.cli`."""

from .cli import main

raise SystemExit(main())
