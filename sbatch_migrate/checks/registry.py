"""Every rule, in code order: ``RULES``, and a rule by code or name: :func:`lookup`.

Importing this module imports every rule module; :mod:`sbatch_migrate.checks` itself
imports none, so that what needs one rule's helpers (or :class:`~.rule.Severity`) does not
pay for all of them.
"""

from __future__ import annotations

from .body_not_analysed import BodyNotAnalysed
from .config_not_read import ConfigNotRead
from .container_launch import ContainerLaunch
from .cpus_over_capacity import CpusOverCapacity
from .directive_syntax import DirectiveSyntax
from .directive_variable import DirectiveVariable
from .dos_line_endings import DosLineEndings
from .fix_withheld import FixWithheld
from .gpus_over_capacity import GpusOverCapacity
from .host_software import HostSoftware
from .image_build_in_job import ImageBuildInJob
from .invalid_value import InvalidValue
from .late_directive import LateDirective
from .memory_over_capacity import MemoryOverCapacity
from .missing_shebang import MissingShebang
from .misspelt_directive import MisspeltDirective
from .module_command import ModuleCommandRule
from .module_init import ModuleInit
from .module_load_other import ModuleLoadOther
from .module_purge import ModulePurge
from .module_singularity import ModuleSingularity
from .nccl_debug import NcclDebug
from .nccl_fabric import NcclFabric
from .non_utf8 import NonUtf8
from .nv_without_gpu import NvWithoutGpu
from .openmpi_transport import OpenmpiTransport
from .parser_limit import ParserLimit
from .partition_rename import PartitionRename
from .partition_time_limit import PartitionTimeLimit
from .partition_unresolved import PartitionUnresolved
from .path_not_mounted import PathNotMounted
from .placeholder_value import PlaceholderValue
from .python_escaped_script import PythonEscapedScript
from .python_not_read import PythonNotRead
from .python_parse_error import PythonParseError
from .pyxis_options import PyxisOptions
from .rule import Rule
from .sbatch_rejects import SbatchRejects
from .shell_parse_error import ShellParseError
from .singularity_env import SingularityEnv
from .slurm_magic import SlurmMagic
from .spaced_directive import SpacedDirective
from .time_over_limit import TimeOverLimit
from .too_many_nodes import TooManyNodes
from .ucx_fabric import UcxFabric
from .unknown_account import UnknownAccount
from .unknown_cluster import UnknownCluster
from .unknown_feature import UnknownFeature
from .unknown_gpu_type import UnknownGpuType
from .unknown_node import UnknownNode
from .unknown_option import UnknownOption
from .unknown_partition import UnknownPartition
from .unknown_qos import UnknownQos
from .unused_suppression import UnusedSuppression

RULES: tuple[type[Rule], ...] = tuple(
    sorted(
        (
            BodyNotAnalysed,
            ConfigNotRead,
            ContainerLaunch,
            CpusOverCapacity,
            DirectiveSyntax,
            DirectiveVariable,
            DosLineEndings,
            FixWithheld,
            GpusOverCapacity,
            HostSoftware,
            ImageBuildInJob,
            InvalidValue,
            LateDirective,
            MemoryOverCapacity,
            MissingShebang,
            MisspeltDirective,
            ModuleCommandRule,
            ModuleInit,
            ModuleLoadOther,
            ModulePurge,
            ModuleSingularity,
            NcclDebug,
            NcclFabric,
            NonUtf8,
            NvWithoutGpu,
            OpenmpiTransport,
            ParserLimit,
            PartitionRename,
            PathNotMounted,
            PlaceholderValue,
            PyxisOptions,
            PartitionTimeLimit,
            PartitionUnresolved,
            PythonEscapedScript,
            PythonParseError,
            PythonNotRead,
            SbatchRejects,
            ShellParseError,
            SingularityEnv,
            SlurmMagic,
            SpacedDirective,
            UcxFabric,
            UnknownOption,
            UnknownPartition,
            UnknownQos,
            UnknownNode,
            UnknownAccount,
            UnknownCluster,
            UnknownFeature,
            UnknownGpuType,
            TimeOverLimit,
            TooManyNodes,
            UnusedSuppression,
        ),
        key=lambda r: r.code,
    )
)
BY_CODE: dict[str, type[Rule]] = {r.code: r for r in RULES}
BY_NAME: dict[str, type[Rule]] = {r.name: r for r in RULES}


def lookup(code_or_name: str) -> type[Rule] | None:
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
