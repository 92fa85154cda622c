#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs what the tests need, then runs
# the linters, the type checker and pytest.  Set SBATCH_MIGRATE_NO_INSTALL=1 to skip
# the installs on a machine that has them.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${VENV:-.venv}

if [ "${SBATCH_MIGRATE_NO_INSTALL:-0}" != 1 ]; then
  # system packages the tests drive for real (only as root, i.e. on CI or a dev box)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    need=()
    command -v git >/dev/null || need+=(git)
    # a real local Slurm cluster (tests/slurm_cluster.py): Debian's Slurm 22.05 and munge
    command -v slurmctld >/dev/null || need+=(slurm-wlm)
    command -v munged >/dev/null || need+=(munge)
    # the bulk HTML report is checked in a real headless browser
    command -v chromium >/dev/null || need+=(chromium)
    if [ ${#need[@]} -gt 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
    fi
  fi
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e '.[test]'
  # Snakemake and its Slurm executor, Parsl, Hydra with its submitit launcher, for
  # tests/test_workflow_tools.py: a venv of their own
  # (snakemake pins `packaging` below what pre-commit's virtualenv needs)
  TOOLS=${TOOLS_VENV:-.venv-tools}
  [ -x "$TOOLS/bin/python" ] || "$PY" -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q snakemake snakemake-executor-plugin-slurm parsl hydra-core hydra-submitit-launcher
fi

"$VENV/bin/ruff" check sbatch_migrate tests bench
"$VENV/bin/ruff" format --check sbatch_migrate tests bench
"$VENV/bin/mypy"
"$VENV/bin/python" -m pytest "$@"
