"""What a job asks of the target cluster's inventory, by name: nodes (``-w``/``-x``),
features (``--constraint``), GPU types (``--gres=gpu:TYPE:N``, ``--gpus=TYPE:N`` ...)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..profile import Profile
from ..read.directives import Directives, OptionUse

NODE_OPTIONS = ("nodelist", "exclude")
FEATURE_OPTIONS = ("constraint",)
GPU_OPTIONS = ("gres", "gpus", "gpus-per-node", "gpus-per-task", "gpus-per-socket", "tres-per-task")


def features(expression: str) -> list[str]:
    """The feature names of a ``--constraint`` expression (``v100&ib``, ``[a*2&b]``,
    ``a|b``): the words between its operators, counts (``*2``) dropped.  A word holding
    ``=`` (the TWCC idiom ``ntasks-per-node=4``) is returned as it is: no feature has it."""
    out = []
    for word in re.split(r"[&|,\[\]()]", expression.strip().strip("\"'")):
        word = re.sub(r"\*\d+$", "", word.strip())
        if word:
            out.append(word)
    return out


def gpu_types(use: OptionUse) -> list[str]:
    """The GPU types an option names (``gpu:v100:2`` -> v100; ``v100:2`` for --gpus ...)."""
    if use.value is None:
        return []
    out = []
    for entry in use.value.split(","):
        parts = [p for p in entry.split("(")[0].split(":") if p]
        if use.name == "tres-per-task":
            if not parts or parts[0] != "gres/gpu":
                continue
            parts = ["gpu", *parts[1:]]
        if use.name in ("gres", "tres-per-task"):
            if parts[:1] == ["gpu"] and len(parts) >= 3:
                out.append(parts[1])  # gpu:v100:2
            elif parts[:1] == ["gpu"] and len(parts) == 2 and not parts[1].isdigit():
                out.append(parts[1])  # gpu:v100 (one of them)
        elif len(parts) == 2 and parts[1].isdigit() and not parts[0].isdigit():
            out.append(parts[0])  # --gpus=v100:2
    return out


def literal_uses(directives: Directives, names: Iterable[str]) -> Iterator[OptionUse]:
    """The block's uses of the options ``names`` whose value is written out (a ``$`` value is
    directive-variable's to report; it names nothing the target can be asked about)."""
    wanted = set(names)
    for use in directives.options:
        if use.name in wanted and use.in_block and use.value and "$" not in use.value:
            yield use


def landing_partitions(directives: Directives, profile: Profile) -> tuple[list[str], OptionUse | None] | None:
    """The target partitions the job may run in after migration, and the option naming them
    (None: the target's default).  None when that cannot be known here (a ``$`` value, or
    a name the profile does not map: partition-rename and unknown-partition report those)."""
    use = directives.last("partition")
    if use is None:
        return [profile.default_partition or profile.nodeset], None
    if not use.value or "$" in use.value or "`" in use.value:
        return None
    out: list[str] = []
    for name in use.value.strip("\"'").split(","):
        target = profile.target_of(name)
        if target is None:
            return None
        if target not in out:
            out.append(target)
    return out, use
