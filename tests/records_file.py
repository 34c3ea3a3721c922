"""Reading and editing a records file the way a curator does by hand (independent of app code)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Records = dict[str, Any]
# libyaml when it is there: the records file is big enough for the pure-Python parser to show.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read_records(seed_dir: Path) -> Records:
    records: Records = yaml.load((seed_dir / "records.yaml").read_text("utf-8"), Loader=Loader)
    return records


def edit_records(seed_dir: Path, edit: Callable[[Records], None]) -> None:
    """Edit the records file of a seed copy, as a curator would by hand."""
    records = read_records(seed_dir)
    edit(records)
    text = yaml.dump(records, Dumper=Dumper, allow_unicode=True, sort_keys=False)
    (seed_dir / "records.yaml").write_text(text, "utf-8")


def record(records: Records, section: str, record_id: str) -> dict[str, Any]:
    return next(r for r in records[section] if r["id"] == record_id)
