"""What the target's accounting database says of a name a job asks for (``--account``,
``--qos``), and what slurmctld then does with the job (src/slurmctld/job_mgr.c,
src/common/assoc_mgr.c)."""

from __future__ import annotations

from ..profile import Profile
from ..record import NamedTuple


class Verdict(NamedTuple):
    refused: bool  # slurmctld refuses the job (else it is accepted, with a different meaning)
    said: str  # what the user is told


def judge(profile: Profile, kind: str, name: str) -> Verdict | None:
    """``kind`` is "account" or "qos".  None: nothing to say (the name is known, or the
    target runs no accounting and ignores it, or the profile knows nothing of it)."""
    if not profile.accounting:  # None: not known; False: accepted and ignored (the lab's sbatch)
        return None
    known = profile.target_accounts if kind == "account" else profile.target_qos
    enforced = profile.enforces("associations" if kind == "account" else "qos")
    if known is None:
        return Verdict(
            False,
            f"the profile does not know the target's {'accounts' if kind == 'account' else 'QOS'} "
            f"(the snapshot could not read them): check that {kind} {name} exists there "
            f"(`sacctmgr show {'account' if kind == 'account' else 'qos'} {name}`)"
            + (", or sbatch refuses the job" if enforced else ""),
        )
    if name in known or name.lower() in {k.lower() for k in known}:
        return None
    have = ", ".join(sorted(known)[:10]) + (" …" if len(known) > 10 else "") if known else "none"
    if kind == "account":
        outcome = (
            "sbatch refuses the job (`Invalid account or account/partition combination specified`)"
            if enforced
            else "the job is accepted but charged to the user's default account"
        )
    else:
        outcome = (
            "sbatch refuses the job (`Invalid qos specification`)"
            if enforced
            else "the job is accepted and the QOS ignored"
        )
    return Verdict(enforced, f"no {kind} {name} on the target (it has: {have}): {outcome}")
