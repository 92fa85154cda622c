"""What a command runs: Slurm client calls and container launches.

Reads a command's effective argv (after constant propagation) and understands
``srun``/``sbatch``/``salloc`` options with Slurm's option tables, launch wrappers
(``time``, ``env X=1``, ``nohup``, ``mpirun`` ...) and Apptainer/Singularity front-end
options, so that ``srun $SINGULARITY $HOROVOD`` is known to run
``singularity run --nv IMAGE python ...``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..read import options as opts
from ..read.shell import Arg, Assignment, Command, Word
from ..record import NamedTuple

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

SLURM_CLIENTS = ("srun", "sbatch", "salloc")
RUNTIMES = ("singularity", "apptainer")
# wrappers and how many arguments of their own they take before the command
_SIMPLE_WRAPPERS = {"time", "nohup", "exec", "command", "builtin", "stdbuf", "nice", "taskset", "numactl"}
_WRAPPER_OPTS_WITH_ARG = {
    "timeout": {"-s", "--signal", "-k", "--kill-after"},
    "nice": {"-n", "--adjustment"},
    "stdbuf": {"-i", "-o", "-e"},
    "taskset": set(),
    "numactl": set(),
    "mpirun": {
        "-n",
        "-np",
        "-c",
        "--np",
        "-N",
        "-npernode",
        "--npernode",
        "-ppn",
        "--map-by",
        "--bind-to",
        "-x",
        "-H",
        "--host",
        "-hostfile",
        "--hostfile",
        "-machinefile",
        "--rank-by",
        "-wdir",
        "--wdir",
        "-f",
    },
}
# MPI options that take two words: Open MPI's `--mca NAME VALUE`, MPICH's and Intel MPI's
# `-genv NAME VALUE`
_MPI_OPTS_WITH_TWO = {"--mca", "-mca", "--gmca", "-gmca", "-genv", "-env"}
_MPI = {"mpirun", "mpiexec", "mpiexec.hydra", "orterun"}

# Apptainer/Singularity options (run/exec/shell/instance start) that take a value
_RUNTIME_OPTS_WITH_ARG = {
    "-B",
    "--bind",
    "--mount",
    "-H",
    "--home",
    "-W",
    "--workdir",
    "-S",
    "--scratch",
    "--overlay",
    "-o",
    "--pwd",
    "--env",
    "--env-file",
    "--app",
    "--security",
    "--network",
    "--network-args",
    "--hostname",
    "--dns",
    "--add-caps",
    "--drop-caps",
    "--fusemount",
    "--apply-cgroups",
    "--oci-conf",
    "--cwd",
    "--memory",
    "--cpus",
    "--cpu-shares",
    "--memory-reservation",
    "--memory-swap",
    "--blkio-weight",
    "--pid-file",
    "--pem-path",
    "--docker-host",
    "--authfile",
    "--arch",
    "--library",
    "--dmtcp-launch",
    "--dmtcp-restart",
}


class CallOption(NamedTuple):
    name: str  # canonical long name
    written: str
    form: str  # "long=", "long", "short", "short-attached"
    value: str | None
    name_arg: Arg  # the argv word holding the option
    value_arg: Arg | None  # the argv word holding the value (may be name_arg)


class SlurmCall(NamedTuple):
    program: str
    options: tuple[CallOption, ...]
    rest: tuple[Arg, ...]  # the script / command and its arguments
    problems: tuple[str, ...]

    def get(self, name: str) -> CallOption | None:
        found = None
        for o in self.options:
            if o.name == name:
                found = o
        return found


class ContainerCall(NamedTuple):
    runtime: str
    subcommand: str
    nv: bool
    binds: tuple[str, ...]
    image: Arg | None
    args: tuple[Arg, ...]
    launcher: SlurmCall | None  # the srun that runs it, if any
    via_mpi: bool


def _env_end(argv: tuple[Arg, ...], i: int) -> tuple[int, list[Arg]]:
    """After ``env`` at ``argv[i - 1]``: where its command starts, and its NAME=V words."""
    settings = []
    while i < len(argv) and ("=" in argv[i].value or argv[i].value.startswith("-")):
        if argv[i].value in ("-u", "--unset", "-C", "--chdir"):
            i += 1
        elif not argv[i].value.startswith("-"):
            settings.append(argv[i])
        i += 1
    return i, settings


def strip_wrappers(argv: tuple[Arg, ...]) -> tuple[tuple[Arg, ...], bool]:
    """Skip launch wrappers; returns the remaining argv and whether mpirun was among them."""
    i = 0
    mpi = False
    while i < len(argv):
        name = argv[i].value.rsplit("/", 1)[-1]
        if name == "env":
            i = _env_end(argv, i + 1)[0]
            continue
        if name in _SIMPLE_WRAPPERS or name == "timeout" or name in _MPI:
            with_arg = _WRAPPER_OPTS_WITH_ARG.get("mpirun" if name in _MPI else name, set())
            mpi = mpi or name in _MPI
            i += 1
            while i < len(argv) and argv[i].value.startswith("-"):
                flag = argv[i].value
                i += 3 if name in _MPI and flag in _MPI_OPTS_WITH_TWO else 2 if flag in with_arg else 1
            if name == "timeout" and i < len(argv):
                i += 1  # the duration
            if name == "time" and i < len(argv) and argv[i].value == "-p":
                i += 1
            continue
        break
    return argv[i:], mpi


def slurm_call(argv: tuple[Arg, ...]) -> SlurmCall | None:
    """Resolve the options of an srun/sbatch/salloc argv (argv[0] is the program)."""
    if not argv:
        return None
    program = argv[0].value.rsplit("/", 1)[-1]
    if program not in SLURM_CLIENTS:
        return None
    table = opts.table(program)
    found: list[CallOption] = []
    problems: list[str] = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        text = arg.value
        if text == "--":
            i += 1
            break
        if text.startswith("--"):
            name, eq, inline = text[2:].partition("=")
            spec = table.lookup_long(name)
            if spec is None or isinstance(spec, list):
                problems.append(f"{'ambiguous' if spec else 'unknown'} option --{name}")
                i += 1
                continue
            if eq:
                found.append(CallOption(spec.long, "--" + name, "long=", inline, arg, arg))
            elif spec.arg == "required" and i + 1 < len(argv):
                found.append(CallOption(spec.long, "--" + name, "long", argv[i + 1].value, arg, argv[i + 1]))
                i += 1
            else:
                found.append(CallOption(spec.long, "--" + name, "long", None, arg, None))
            i += 1
            continue
        if text.startswith("-") and len(text) > 1:
            j = 1
            while j < len(text):
                spec_s = table.by_short.get(text[j])
                if spec_s is None:
                    problems.append(f"unknown option -{text[j]}")
                    break
                if spec_s.arg == "none":
                    found.append(CallOption(spec_s.long, "-" + text[j], "short", None, arg, None))
                    j += 1
                    continue
                rest = text[j + 1 :]
                if rest:
                    found.append(CallOption(spec_s.long, "-" + text[j], "short-attached", rest, arg, arg))
                elif i + 1 < len(argv) and spec_s.arg == "required":
                    found.append(CallOption(spec_s.long, "-" + text[j], "short", argv[i + 1].value, arg, argv[i + 1]))
                    i += 1
                break
            i += 1
            continue
        break
    return SlurmCall(program, tuple(found), argv[i:], tuple(problems))


LAUNCHERS = frozenset({*SLURM_CLIENTS, *RUNTIMES, *_SIMPLE_WRAPPERS, "timeout", "env", *_MPI})


def may_launch(cmd: Command) -> bool:
    """False when the command's name alone rules out a Slurm client or a container launch
    (a literal name that is none of them nor a wrapper): most commands of a script."""
    name = cmd.name
    if name is None or not name.is_literal or name.value is None:
        return True
    return name.value.rsplit("/", 1)[-1] in LAUNCHERS


def partition_options(argv: tuple[Arg, ...]) -> Iterator[tuple[SlurmCall, CallOption]]:
    """The partition options of an srun/sbatch/salloc argv (after launch wrappers)."""
    call = slurm_call(strip_wrappers(argv)[0])
    if call is None:
        return
    for opt in call.options:
        if opt.name == "partition" and opt.value_arg is not None:
            yield call, opt


def value_text(opt: CallOption) -> tuple[str, int] | None:
    """The raw text of an option's value inside the word that holds it, and its byte offset
    in that word (``--partition=gtest`` -> ("gtest", 12)); None when it cannot be located."""
    if opt.value_arg is None:
        return None
    raw = opt.value_arg.word.text
    k = 0
    if opt.form == "long=":
        k = raw.find("=") + 1
    elif opt.form == "short-attached":
        if not raw.startswith(opt.written):
            return None
        k = len(opt.written)
    return raw[k:], len(raw[:k].encode())


def container_call(cmd: Command) -> ContainerCall | None:
    if not may_launch(cmd):
        return None
    argv, mpi = strip_wrappers(cmd.argv)
    launcher = None
    call = slurm_call(argv)
    if call is not None and call.program == "srun":
        launcher = call
        argv, mpi2 = strip_wrappers(call.rest)
        mpi = mpi or mpi2
    if not argv or argv[0].value.rsplit("/", 1)[-1] not in RUNTIMES:
        return None
    runtime = argv[0].value.rsplit("/", 1)[-1]
    i = 1
    # global options before the subcommand (-d, -q, -s, --debug ...)
    while i < len(argv) and argv[i].value.startswith("-"):
        i += 1
    if i >= len(argv):
        return ContainerCall(runtime, "", False, (), None, (), launcher, mpi)
    sub = argv[i].value
    i += 1
    if sub == "instance" and i < len(argv):
        sub = "instance " + argv[i].value
        i += 1
    nv = False
    binds: list[str] = []
    while i < len(argv) and argv[i].value.startswith("-"):
        text = argv[i].value
        name, eq, inline = text.partition("=")
        if name in ("--nv", "--nvccli"):
            nv = True
        if name in _RUNTIME_OPTS_WITH_ARG:
            value = inline if eq else (argv[i + 1].value if i + 1 < len(argv) else "")
            if name in ("-B", "--bind"):
                binds.extend(split_list(value))
            i += 1 if eq else 2
            continue
        i += 1
    image = argv[i] if i < len(argv) else None
    return ContainerCall(runtime, sub, nv, tuple(binds), image, argv[i + 1 :], launcher, mpi)


def split_list(text: str) -> list[str]:
    """A comma-separated list (bind specs), not split inside ``${...}`` or ``$(...)``."""
    return [p for p in _split_outside(text, ",") if p]


def split_bind(spec: str) -> list[str]:
    """A bind spec's ``src[:dst[:opts]]`` parts, not split at a ``:`` inside ``${...}``
    or ``$(...)`` (``${SCRATCH:-/tmp}:/scratch`` is two parts)."""
    return _split_outside(spec.strip(), ":")


def _split_outside(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth, i = 0, 0
    while i < len(text):
        c = text[i]
        if c == "$" and text[i + 1 : i + 2] in ("{", "("):
            depth += 1
            cur.append(text[i : i + 2])
            i += 2
            continue
        if c in "})" and depth:
            depth -= 1
        if c == sep and not depth:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


# how a launcher passes environment to what it runs (Assignment.keyword of those)
LAUNCH_ENV_KEYWORDS = frozenset(
    {"env", "mpirun -x", "mpirun --mca", "mpirun -genv", "srun --export", "#SBATCH --export"}
)


def launch_env(cmd: Command) -> list[Assignment]:
    """Variables a launcher in ``cmd`` sets for what it runs: ``env NAME=V``, ``mpirun -x
    NAME=V``, ``mpirun --mca NAME V`` (Open MPI reads it as ``OMPI_MCA_NAME``), ``mpirun
    -genv NAME V`` and ``srun --export=ALL,NAME=V``; each as an assignment whose keyword
    says how (:data:`LAUNCH_ENV_KEYWORDS`)."""
    if not may_launch(cmd):
        return []
    found: list[Assignment] = []
    argv = cmd.argv
    i = 0
    while i < len(argv):
        name = argv[i].value.rsplit("/", 1)[-1]
        if name == "env":
            i, settings = _env_end(argv, i + 1)
            found += [_passed(arg, "env", cmd) for arg in settings]
            continue
        if name in _MPI:
            i += 1
            while i < len(argv) and argv[i].value.startswith("-"):
                flag = argv[i].value
                if flag in _MPI_OPTS_WITH_TWO and i + 2 < len(argv):
                    var, value = argv[i + 1], argv[i + 2]
                    if flag.endswith("mca"):
                        found.append(_passed(value, "mpirun --mca", cmd, "OMPI_MCA_" + var.value, var))
                    else:
                        found.append(_passed(value, "mpirun -genv", cmd, var.value, var))
                    i += 3
                    continue
                if flag == "-x" and i + 1 < len(argv) and "=" in argv[i + 1].value:
                    found.append(_passed(argv[i + 1], "mpirun -x", cmd))
                i += 2 if flag in _WRAPPER_OPTS_WITH_ARG["mpirun"] else 1
            continue
        if name in _SIMPLE_WRAPPERS or name == "timeout":
            rest, _ = strip_wrappers(argv[i:])
            if len(rest) == len(argv) - i:
                break
            i = len(argv) - len(rest)
            continue
        call = slurm_call(argv[i:])
        if call is not None and call.program == "srun":
            for opt in call.options:
                if opt.name == "export" and opt.value_arg is not None and opt.value:
                    found += _exported(opt, cmd)
            i = len(argv) - len(call.rest)
            continue
        break
    return found


def _passed(arg: Arg, keyword: str, cmd: Command, name: str | None = None, name_arg: Arg | None = None) -> Assignment:
    """``NAME=VALUE`` in one word (``arg``), or NAME in ``name_arg`` and VALUE in ``arg``.
    The value can be rewritten only when it is written plainly (no quoting, no variable)."""
    word = arg.word
    if name is None:
        name, _, value = arg.value.partition("=")
        plain = arg.direct and word.text == arg.value
        offset = len(name.encode()) + 1
        start = word.start
    else:
        value = arg.value
        plain = arg.direct and word.text == value
        offset = 0
        start = name_arg.word.start if name_arg is not None else word.start
    if plain:
        value_word = Word(word.start + offset, word.end, value, value, "word", False, ())
    else:  # shown as written (`UCX_IB_PKEY=$PKEY`: `$PKEY`), never rewritten
        shown = word.text[offset:] if offset and word.text.startswith(f"{name}=") else word.text
        value_word = Word(word.start, word.end, shown, None, word.node_type, False, ())
    return Assignment(name, start, word.end, value_word, True, keyword, False, True, cmd.node)


def _exported(opt: CallOption, cmd: Command) -> list[Assignment]:
    """``srun --export=ALL,NAME=V,...``: its NAME=V items."""
    assert opt.value_arg is not None and opt.value is not None
    located = value_text(opt)
    word = opt.value_arg.word
    plain = located is not None and opt.value_arg.direct and located[0] == opt.value
    start = word.start + (located[1] if located is not None else 0)
    return export_items(opt.value, start, word.end, plain, "srun --export", cmd.node)


def export_items(value: str, start: int, end: int, plain: bool, keyword: str, node: Any) -> list[Assignment]:
    """The NAME=V items of an ``--export`` value (Slurm splits it on commas) written at
    [start, end): each with its own span when the value is written plainly there, else
    the whole span and no value to rewrite."""
    out = []
    at = start
    for item in value.split(","):
        if "=" in item:
            name, _, item_value = item.partition("=")
            if plain:
                vstart = at + len(name.encode()) + 1
                vend = vstart + len(item_value.encode())
                word = Word(vstart, vend, item_value, item_value, "word", False, ())
                out.append(Assignment(name, at, vend, word, True, keyword, False, True, node))
            else:  # quoted: shown as Slurm reads it, never rewritten
                word = Word(start, end, item_value, None, "string", False, ())
                out.append(Assignment(name, start, end, word, True, keyword, False, True, node))
        at += len(item.encode()) + 1
    return out
