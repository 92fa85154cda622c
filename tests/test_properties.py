"""Property tests (hypothesis): idempotence, fixed points, still-parses, never crash,
no change outside what is reported."""

from __future__ import annotations

import shutil
import subprocess

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from sbatch_migrate.fix.edits import apply_edits
from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.profile import load
from sbatch_migrate.read.source import InputError, Source

PROFILE = load()
SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

partitions = st.sampled_from(["gtest", "gp1d", "gp2d", "gp4d", "slinky", "gtest,gp1d", "v100"])
quoted = st.sampled_from(["{}", '"{}"', "'{}'"])
comment = st.sampled_from(["", "  # 測試佇列", "\t# test queue", " #x"])


@st.composite
def directive(draw: st.DrawFn) -> str:
    part = draw(quoted).format(draw(partitions))
    form = draw(
        st.sampled_from(
            [
                f"#SBATCH -p {part}",
                f"#SBATCH -p{part}",
                f"#SBATCH --partition={part}",
                f"#SBATCH --partition {part}",
                f"#SBATCH --part={part}",
                "#SBATCH -N 2 --ntasks-per-node=8",
                "#SBATCH --gres=gpu:8",
                "#SBATCH --gres=gpu:16",
                "#SBATCH -t 00:10:00",
                "#SBATCH --account=$PROJECT",
                "#SBATCH --export=ALL,SINGULARITY_BIND=/work,UCX_TLS=rc",
                "#SBATCH --ntask-per-node=8",
                '#SBATCH -J "a #b"',
                "#SBATCH --account= # fill in",
                "##SBATCH -p gtest",
                "# SBATCH -p gtest",
                "#PBS -q gtest",
                "#SLURM -N 1",
                "",
                "   ",
                "# 註解",
            ]
        )
    )
    return form + (draw(comment) if form.startswith("#SBATCH") and "#" not in form[7:] else "")


simple = st.sampled_from(
    [
        "module load singularity",
        "module purge",
        "module add singularity/3.7.1",
        "ml singularity",
        "module load cuda/11.0 singularity/3.7.1 openmpi",
        "module list",
        "source /etc/profile.d/modules.sh",
        "export UCX_NET_DEVICES=mlx5_0:1",
        "export NCCL_DEBUG=INFO",
        "export SINGULARITY_BINDPATH=/work/u1",
        "export SBATCH_PARTITION=gp1d",
        "SIF=/work/TWCC_cntr/a.sif",
        'S="singularity run --nv $SIF"',
        "srun $S python train.py",
        "srun -p gtest singularity exec --nv /work/TWCC_cntr/a.sif nvidia-smi",
        "singularity pull docker://nvcr.io/nvidia/pytorch:24.01-py3",
        "echo done",
        "cd /work/u1 || exit 1",
        ":",
        "mpirun -x UCX_TLS=rc -x SINGULARITYENV_A=1 --mca btl ^openib -np 2 singularity exec --nv /work/u1/a.sif x",
        "srun --export=ALL,SINGULARITY_BIND=/work,NCCL_IB_HCA=mlx5_0 x",
        'env SINGULARITY_BIND=/w NCCL_IB_DISABLE=1 mpirun -x "SINGULARITY_CACHEDIR=/t" x',
        "srun -p gtest --export=SINGULARITY_BINDPATH=/work/users mpirun -genv UCX_TLS rc x",
        "cat <<EOF > job.sh\n#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\nsrun -p gp1d x\nEOF",
        "cat <<'EOF' | sbatch\n#!/bin/bash\n#SBATCH --partition=$P\nmodule purge\nEOF",
        "cat <<-EOF > j.sh\n\t#!/bin/bash\n\t#SBATCH -p gp4d\n\tmodule load singularity\nEOF",
        # an unquoted heredoc's escapes: the driver writes `$(pwd)`, `$SIF`, one joined line
        "cat <<EOF > j.sh\n#!/bin/bash\n#SBATCH -p gtest\nD=\\$(pwd)\nmodule load singularity\n"
        "srun singularity exec --nv \\$SIF \\\n  python x.py >> \\$D/log\nEOF",
    ]
)


@st.composite
def statement(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 26 if depth < 2 else 3))
    a = draw(simple)
    if kind <= 3:
        return a
    b = draw(statement(depth + 1))
    c = draw(statement(depth + 1))
    return {
        4: f"{a} && {b}",
        5: f"{a}; {b}",
        6: f"if [ -f x ]; then\n  {b}\nfi",
        7: f"for i in 1 2; do {b}; done",
        8: f"f() {{\n  {b}\n  {c}\n}}",
        9: f"case $x in\n  a) {b} ;;\n  *) {c} ;;\nesac",
        # valid bash that tree-sitter-bash cannot read (SM908): its error recovery misreads
        # what follows, so the tree cannot vouch for edits there
        10: f"for i do\n  {b}\ndone",
        11: f"case $x in\n  ?*' '?*) {b} ;;\nesac",
        12: f"if [ -x /usr/bin/vim; then\n  {b}\nfi",
        # more of what job scripts use (issue 1: arrays, [[ ]], case, $(( )), time ...)
        13: f"until [ -f x ]; do {b}; done",
        14: f"{{ {b}; }} > log 2>&1",
        15: f"time {a}",
        16: f"(( n > 1 )) && {b}",
        17: f"for (( i=0; i<2; i++ )); do {b}; done",
        18: f"function g {{\n  {b}\n}}",
        19: f"while read -r l; do {b}; done < <(ls)",
        20: f"[[ -n $x ]] || {b}",
        21: f"arr=(1 2 3); {b}",
        22: f'cat <<< "$x"; {b}',
        23: f"select s in a b; do {b}; break; done",
        24: f"! {a}",
        25: f"echo $(( ${{#arr[@]}} + 1 )); {b}",
        26: f"case $x in\n  a) {b} ;&\n  *) {c} ;;\nesac",
    }[kind]


@st.composite
def script(draw: st.DrawFn) -> bytes:
    lines = ["#!/bin/bash", *draw(st.lists(directive(), max_size=8))]
    body = draw(st.lists(statement(), max_size=10))
    # directives after the first command: sbatch ignores them (and a migration must not
    # bring them to life by removing the commands before them)
    for late in draw(st.lists(directive(), max_size=3)):
        body.insert(draw(st.integers(0, len(body))), late)
    blanks = draw(st.lists(st.sampled_from(["", "  ", "# note"]), max_size=len(body) + 1))
    for i, stmt in enumerate(body):
        if i < len(blanks):
            lines.append(blanks[i])
        lines.append(stmt)
    text = "\n".join(lines) + ("\n" if draw(st.booleans()) else "")
    if draw(st.integers(0, 9)) == 0:
        text = text.replace("\n", "\r\n")
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "cp950"]))
    return text.encode(encoding)


def _migrate(data: bytes):  # type: ignore[no-untyped-def]
    return migrate(Source.from_bytes(data, "job.sh"), PROFILE)


@SETTINGS
@given(script())
def test_idempotent(data: bytes) -> None:
    first = _migrate(data)
    second = _migrate(first.output)
    assert second.output == first.output
    assert not any(f.fixed for f in second.findings)


@SETTINGS
@given(script())
def test_edits_stay_within_what_is_reported(data: bytes) -> None:
    result = _migrate(data)
    src = result.source
    assert apply_edits(src, result.edits) == result.output
    fixed_lines: set[int] = set()
    for f in result.findings:
        if f.fixed:
            fixed_lines.update(range(src.line_of(f.start), src.line_of(max(f.start, f.end - 1)) + 1))
    data = src.parse_bytes
    for edit in result.edits:
        for line in range(src.line_of(edit.start), src.line_of(max(edit.start, edit.end - 1)) + 1):
            ls = src.line_starts[line]
            le = src.line_starts[line + 1] if line + 1 < src.line_count else len(data)
            touched = data[max(edit.start, ls) : min(edit.end, le)]
            if not touched.strip() and not edit.replacement.strip():
                continue  # only blanks and line breaks: collapsing blank lines, keeping the last newline
            # non-blank text changes only on the lines of a fixed finding
            assert line in fixed_lines, (edit, line)


@SETTINGS
@given(script())
def test_a_migrated_script_is_a_fixed_point_without_new_errors(data: bytes) -> None:
    first = _migrate(data)
    second = _migrate(first.output)
    assert second.output == first.output
    assert {f.code for f in second.errors} <= {f.code for f in first.errors}


@SETTINGS
@given(script())
def test_a_migration_never_changes_which_directives_sbatch_reads(data: bytes) -> None:
    """The options sbatch reads from the block are the same before and after (their values
    may change: a renamed partition); late lines stay late."""
    from sbatch_migrate.read.directives import scan

    result = _migrate(data)
    before = Source.from_bytes(data, "job.sh").parse_bytes
    after = Source.from_bytes(result.output, "job.sh").parse_bytes

    def read(text: bytes) -> list[tuple[str, int]]:
        return [(u.name, u.component) for u in scan(text).options if u.in_block]

    assert read(after) == read(before) or any(f.code == "SM007" and f.fixed for f in result.findings)


BASH = shutil.which("bash")


def _bash_ok(data: bytes) -> bool:
    assert BASH is not None
    p = subprocess.run([BASH, "-n"], input=data, capture_output=True, check=False)
    return p.returncode == 0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script())
@example(  # a heredoc "closed" by `EOF && ...`: bash reads on to the end (found by this test)
    b"#!/bin/bash\ncat <<EOF > job.sh\n#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\nsrun -p gp1d x\n"
    b"EOF && module load singularity\nif [ -f x ]; then\n  cat <<EOF > job.sh\n#!/bin/bash\n#SBATCH -p gtest\n"
    b"module load singularity\nsrun -p gp1d x\nEOF && module load cuda/11.0 singularity/3.7.1 openmpi\nfi"
)
@example(b"#!/bin/bash\nfor i do\n  module load singularity\ndone\n")  # left `for i do` + `done` (found by this test)
def test_output_still_parses_when_input_did(data: bytes) -> None:
    assume(b"\r" not in data)  # bash reads \r as part of words; those scripts are reported (SM005)
    if not _bash_ok(data):
        return
    assert _bash_ok(_migrate(data).output)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        result = _migrate(data)
    except InputError:
        assert b"\x00" in data
        return
    assert isinstance(result.output, bytes)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("#SBATCH -p=gtest\"' \\\n\t$(){};&|<>`!mdulo")), max_size=200))
def test_shell_like_noise_never_crashes_and_is_idempotent(text: str) -> None:
    first = _migrate(("#!/bin/bash\n" + text).encode())
    assert _migrate(first.output).output == first.output


def _spans(found: dict) -> dict:  # type: ignore[type-arg]
    return {k: [(n.start_byte, n.end_byte, n.type) for n in v] for k, v in found.items() if v}


@settings(SETTINGS, max_examples=4 * SETTINGS.max_examples)  # cheap: a parse and two readings
@example(b"|&<")  # a MISSING command at byte 0: the query does not match it (CI found it)
@example(b"\n|&<")
@given(
    st.one_of(
        script(), st.text(alphabet=st.sampled_from(list("ab =$(){};&|<>`'\"\\\n\tfi")), max_size=300).map(str.encode)
    )
)
def test_the_walk_finds_the_nodes_the_query_captures(data: bytes) -> None:
    """shell.captured walks small trees instead of compiling its query: the same nodes,
    by capture name (in the same order where it is read), on scripts and on broken bash
    (ERROR nodes)."""
    from sbatch_migrate.read import shell

    tree = shell.parse(data)
    walked, queried = _spans(shell.walk_captures(tree.root_node)), _spans(shell.captured(tree, 1 << 30))
    assert {k: sorted(v) for k, v in walked.items()} == {k: sorted(v) for k, v in queried.items()}
    for name in shell.ORDERED:  # the lists read in order: in the same order
        assert walked.get(name) == queried.get(name)
