"""Site decisions: one change to the new cluster that settles many findings at once, and
the text that makes it (profile lines, Helm values).  Shared by the inventory and the bulk
reports, which lead with them."""

from __future__ import annotations


def top_folder(path: str) -> str | None:
    """The first component of an absolute path (``/work/u1/x.sif`` -> ``/work``)."""
    if not path.startswith("/"):
        return None
    first = path.strip("/").split("/", 1)[0]
    if not first or not first.isprintable():
        return None
    return "/" + first


def mount_claim(top: str, read_only: bool) -> dict[str, str]:
    """The ``[[storage.mounts]]`` lines and the Helm values for a claim mounted at ``top``."""
    claim = top.strip("/").replace("/", "-") + "-pvc"
    lines = f'[[storage.mounts]]\nclaim = "{claim}"\npath = "{top}"\n'
    return {
        "profile": lines + ("read_only = true\n" if read_only else ""),
        "helm": (
            f"slurmd.volumeMounts: [{{name: {claim}, mountPath: {top}}}]; "
            f"podSpec.volumes: [{{name: {claim}, persistentVolumeClaim: {{claimName: {claim}}}}}] "
            "(the NodeSet's and the LoginSet's)"
        ),
    }


def markdown_lines(decision: dict[str, str], lead: str) -> list[str]:
    """A decision as a Markdown list item: ``lead`` (what it settles), then the profile
    lines and the Helm values it takes."""
    from ..output.report import md_code

    return [
        f"- **mount a claim at {md_code(decision['mount'])}**: {lead}",
        "",
        "  ```toml",
        *[f"  {line}" for line in decision["profile"].splitlines()],
        "  ```",
        "",
        f"  In the Helm values: {md_code(decision['helm'])}.",
        "",
    ]
