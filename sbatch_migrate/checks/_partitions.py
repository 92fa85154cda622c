"""The partition rules' fix: renaming a partition where the script names it."""

from __future__ import annotations

from ..fix.edits import Edit, replace_value
from ..model.partitions import PartitionSite


def rename_edit(site: PartitionSite, new: str) -> Edit | None:
    if site.raw is None:
        return None
    return replace_value(site.raw, site.raw_start, new)
