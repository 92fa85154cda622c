"""Every rule, in code order: ``RULES``, and a rule by code or name: :func:`lookup`.

Importing this module imports every rule module (those :data:`.index.INDEX` names);
:mod:`sbatch_migrate.checks` itself imports none, and a run imports only those a script
can trigger (:mod:`.index`).
"""

from __future__ import annotations

from .index import INDEX, load
from .rule import Rule

RULES: tuple[type[Rule], ...] = tuple(load(e) for e in INDEX)
BY_CODE: dict[str, type[Rule]] = {r.code: r for r in RULES}
BY_NAME: dict[str, type[Rule]] = {r.name: r for r in RULES}


def lookup(code_or_name: str) -> type[Rule] | None:
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
