"""A real local Slurm cluster for the tests: munged, slurmctld and two slurmd daemons on this
host, posing as two Slinky NodeSet pods (``slinky-0``, ``slinky-1``; the default ``SLINKY``
shape) or as two nodes of the old TWCC cluster (``TWCC``: its partitions and limits, V100-typed
GRES, node features).  Two labs of different shapes can run side by side.

Everything (configuration, spool, state, logs, munge key and socket) lives in one
temporary folder; every daemon started here is stopped by its pid at the end.  Nodes are
sized like a TWCC node (32 CPUs, 720 GB, 8 GPUs declared as GRES on device nodes made
with mknod); ``SlurmdParameters=config_overrides`` lets slurmd accept more than the host
has.  Needs root and Debian's ``slurm-wlm`` and ``munge`` (installed by ``.ci/run``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STANDIN = ROOT / "tests" / "standin"
SEED = ROOT / "examples" / "hello_twcc.sh"
IMAGE = "/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif"

SLURM_BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo")


def missing_requirements() -> str | None:
    """Why the cluster cannot run here, or None."""
    if os.geteuid() != 0:
        return "the local Slurm cluster needs root (slurmd runs jobs as other users)"
    missing = [b for b in SLURM_BINARIES if shutil.which(b) is None]
    if missing:
        return f"Slurm/munge not installed ({', '.join(missing)} missing): apt-get install slurm-wlm munge"
    return None


def lab_release() -> str:
    """The local lab's Slurm release as the option tables name it (Debian 12: 22.05): the
    tests that compare the tool with the lab's sbatch read options with its tables."""
    from sbatch_migrate.read.options import release_of

    out = subprocess.run(["slurmctld", "-V"], capture_output=True, text=True, check=False).stdout
    found = release_of(out.strip())
    if found is None:
        raise RuntimeError(f"no option tables for the lab's Slurm ({out.strip()!r})")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LabShape:
    """What a lab's slurm.conf declares: its name, its two nodes and their hardware, the GPU
    GRES (gres.conf's ``Name=gpu ...`` without the devices) and its partitions."""

    cluster: str
    nodes: tuple[str, ...]
    hardware: str
    gres: str
    partitions: tuple[str, ...]


SLINKY = LabShape(
    "slinkytest",
    ("slinky-0", "slinky-1"),
    "CPUs=32 Boards=1 SocketsPerBoard=2 CoresPerSocket=16 ThreadsPerCore=1 RealMemory=737280 Gres=gpu:8",
    "Name=gpu",
    ("PartitionName=slinky Nodes=slinky-[0-1] Default=YES MaxTime=INFINITE State=UP",),
)

# Taiwania2 as its users know it: gtest (30 minutes, one node) for tests, gp1d/gp2d/gp4d by
# their longest run; 36-core nodes with 8 V100s.
TWCC = LabShape(
    "twcc",
    ("gn1201", "gn1202"),
    "CPUs=36 Boards=1 SocketsPerBoard=2 CoresPerSocket=18 ThreadsPerCore=1 RealMemory=772000 "
    "Gres=gpu:v100:8 Features=v100,ib",
    "Name=gpu Type=v100",
    (
        "PartitionName=gtest Nodes=gn[1201-1202] Default=YES MaxTime=00:30:00 MaxNodes=1 State=UP",
        "PartitionName=gp1d Nodes=gn[1201-1202] MaxTime=1-00:00:00 State=UP",
        "PartitionName=gp2d Nodes=gn[1201-1202] MaxTime=2-00:00:00 State=UP",
        "PartitionName=gp4d Nodes=gn[1201-1202] MaxTime=4-00:00:00 State=UP",
    ),
)


class LocalCluster:
    def __init__(self, root: Path, extra: tuple[str, ...] = (), shape: LabShape = SLINKY):
        self.root = root
        self.extra = extra  # more slurm.conf lines (JobSubmitPlugins=lua ...)
        self.shape = shape
        self.NODES = shape.nodes
        self.conf = root / "slurm.conf"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.host = socket.gethostname().split(".")[0]
        self.ctld_port = _free_port()
        self.node_ports = [_free_port() for _ in self.NODES]
        self.gpu_files = "File=/dev/nvidia[0-7]"

    @property
    def env(self) -> dict[str, str]:
        e = dict(os.environ)
        e["SLURM_CONF"] = str(self.conf)
        for key in list(e):
            if key.startswith(("SBATCH_", "SALLOC_")) or (key.startswith("SLURM_") and key != "SLURM_CONF"):
                del e[key]
        return e

    # -- set-up ---------------------------------------------------------------------
    def _devices(self) -> None:
        """/dev/nvidia0-7 stand-ins (character devices, major 195) for the GPU GRES."""
        try:
            for i in range(8):
                dev = Path(f"/dev/nvidia{i}")
                if not dev.exists():
                    os.mknod(dev, 0o666 | 0o020000, os.makedev(195, i))
        except OSError:
            self.gpu_files = "Count=8"  # no mknod here: GRES without device files

    def _write_config(self) -> None:
        r = self.root
        for d in ("state", "log", *(f"spool-{n}" for n in self.NODES)):
            (r / d).mkdir(exist_ok=True)
        nodes = [
            f"NodeName={name} NodeHostname={self.host} NodeAddr=127.0.0.1 Port={port} "
            f"{self.shape.hardware} State=UNKNOWN"
            for name, port in zip(self.NODES, self.node_ports, strict=True)
        ]
        self.conf.write_text(
            "\n".join(
                [
                    f"ClusterName={self.shape.cluster}",
                    f"SlurmctldHost={self.host}(127.0.0.1)",
                    f"SlurmctldPort={self.ctld_port}",
                    "AuthType=auth/munge",
                    f"AuthInfo=socket={r / 'munge.socket'}",
                    "CredType=cred/munge",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    f"StateSaveLocation={r / 'state'}",
                    f"SlurmdSpoolDir={r}/spool-%n",
                    f"SlurmctldPidFile={r / 'slurmctld.pid'}",
                    f"SlurmdPidFile={r}/slurmd-%n.pid",
                    f"SlurmctldLogFile={r / 'log' / 'slurmctld.log'}",
                    f"SlurmdLogFile={r}/log/slurmd-%n.log",
                    "SlurmctldDebug=info",
                    "SlurmdDebug=info",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core",
                    "GresTypes=gpu",
                    "SlurmdParameters=config_overrides",
                    "ReturnToService=2",
                    "MpiDefault=none",
                    "JobCompType=jobcomp/none",
                    "AccountingStorageType=accounting_storage/none",
                    "SchedulerType=sched/backfill",
                    "InactiveLimit=0",
                    "KillWait=5",
                    "MinJobAge=60",
                    *self.extra,
                    *nodes,
                    *self.shape.partitions,
                    "",
                ]
            )
        )
        (self.root / "gres.conf").write_text(
            "".join(f"NodeName={n} {self.shape.gres} {self.gpu_files}\n" for n in self.NODES)
        )

    def _spawn(self, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        out = open(self.root / "log" / log, "wb")
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        self.procs.append(proc)
        return proc

    def start(self, timeout: float = 60) -> LocalCluster:
        self._devices()
        (self.root / "log").mkdir(exist_ok=True)
        key = self.root / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self._write_config()
        r = self.root
        self._spawn(
            [
                "munged",
                "-F",
                "-f",
                f"--socket={r / 'munge.socket'}",
                f"--key-file={key}",
                f"--log-file={r / 'log' / 'munged.log'}",
                f"--pid-file={r / 'munged.pid'}",
                f"--seed-file={r / 'munged.seed'}",
            ],
            "munged.out",
        )
        self._wait(lambda: (r / "munge.socket").exists(), timeout, "munged did not start")
        self._spawn(["slurmctld", "-D", "-i", "-f", str(self.conf)], "slurmctld.out")
        self._wait(
            lambda: self.scontrol("ping").returncode == 0 and "UP" in self.scontrol("ping").stdout,
            timeout,
            "slurmctld did not answer",
        )
        for name in self.NODES:
            self._spawn(["slurmd", "-D", "-N", name, "-f", str(self.conf)], f"slurmd-{name}.out")
        self._wait(self._nodes_idle, timeout, "the slurmd nodes did not become idle")
        return self

    def _nodes_idle(self) -> bool:
        p = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%N %t"], env=self.env, capture_output=True, text=True, check=False
        )
        states = dict(line.split() for line in p.stdout.splitlines() if line.strip())
        return all(states.get(n, "").startswith("idle") for n in self.NODES)

    def _wait(self, ready, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"{what}: {p.args[0]} exited with {p.returncode}\n{self.logs()}")
            time.sleep(0.3)
        raise RuntimeError(f"{what} within {timeout}s\n{self.logs()}")

    def logs(self) -> str:
        out = []
        for f in sorted((self.root / "log").glob("*")):
            out.append(f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}")
        return "\n".join(out)

    # -- use ------------------------------------------------------------------------
    def scontrol(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["scontrol", *args], env=self.env, capture_output=True, text=True, check=False, timeout=30
        )

    def sbatch(
        self, *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        e = self.env
        if env:
            e.update(env)
        return subprocess.run(
            ["sbatch", *args], cwd=cwd, env=e, capture_output=True, text=True, check=False, timeout=timeout
        )

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs.clear()


def job_env(jobdir: Path) -> dict[str, str]:
    return {
        "PATH": f"{STANDIN}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "STANDIN_ROOT": str(jobdir / "root"),
        "STANDIN_LOG": str(jobdir / "standin.jsonl"),
    }
