"""Written by tools/mutation.py: run a mutant's tests fastest first."""
import json
from pathlib import Path


def pytest_collection_modifyitems(items):
    stats = Path("mutmut-stats.json")
    if not stats.exists():  # the stats run itself, which measures the durations
        return
    seconds = json.loads(stats.read_text()).get("duration_by_test", {})
    module = {}
    for item in items:
        key = item.nodeid.split("::", 1)[0]
        module[key] = module.get(key, 0.0) + seconds.get(item.nodeid, 0.0)
    items.sort(key=lambda item: (module[item.nodeid.split("::", 1)[0]], seconds.get(item.nodeid, 0.0)))
