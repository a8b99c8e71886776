"""Version, git SHA and environment of a computation, recorded with every stored number."""
from __future__ import annotations

import functools
import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

__all__ = ["__version__", "cpu_identity", "git_sha", "package_versions", "provenance"]

try:
    __version__ = metadata.version("ricci-lit")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.1.0+unknown"

_PACKAGES = ("numpy", "scipy", "torch", "pandas", "networkx", "pot", "pyarrow", "statsmodels")


def git_sha(path: str | os.PathLike | None = None) -> str:
    """The git commit of the source tree holding ``ricci_lit`` (with ``-dirty`` when modified),
    or ``"unknown"`` outside a git checkout."""
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a result depends on."""
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def cpu_identity() -> dict[str, str]:
    """The processor of this machine, as far as it decides CPU floating-point results.

    PyTorch does not promise the same results on different platforms: the CPU kernels (its own
    vectorised ATen kernels, chosen by the instruction sets the processor offers, and MKL's,
    chosen by model and vendor) sum in different orders on different processors. A network
    trained for 50 epochs on one CPU therefore ends with other weights on another (measured: the
    committed ``results/paper`` networks re-trained to their stored test accuracies on an AMD
    EPYC machine, but not on an Intel Xeon, where all 36 ``A`` ``narrow-shallow`` training
    losses came out different). Recording the processor lets
    :func:`ricci_lit.experiments.checkpoints.recreate_checkpoints` say why re-training differs.

    Returns
    -------
    dict
        ``model`` (``/proc/cpuinfo``'s model name, else ``platform.processor()``), ``vendor``
        (its vendor id, ``"unknown"`` where the system does not say) and ``torch_capability``
        (the instruction set torch's CPU kernels use, e.g. ``"AVX512"``). A new dict each call;
        the machine is read once per process.
    """
    return dict(_cpu_identity())


@functools.lru_cache(maxsize=1)
def _cpu_identity() -> dict[str, str]:
    model = vendor = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                name, _, value = line.partition(":")
                name = name.strip()
                if name == "model name" and not model:
                    model = value.strip()
                elif name == "vendor_id" and not vendor:
                    vendor = value.strip()
                if model and vendor:
                    break
    except OSError:  # not Linux: the platform module's (coarser) name
        pass
    try:
        import torch

        capability = str(torch.backends.cpu.get_cpu_capability())
    except (ImportError, AttributeError):  # pragma: no cover - torch is a dependency
        capability = "unknown"
    return {"model": model or platform.processor() or platform.machine() or "unknown",
            "vendor": vendor or "unknown", "torch_capability": capability}


def provenance(**extra: object) -> dict[str, object]:
    """A provenance record: package version, git SHA, packages, Python, platform, processor
    (:func:`cpu_identity`), UTC time, plus any ``extra`` fields (seeds, profile, device, wall time...)."""
    rec: dict[str, object] = {
        "ricci_lit": __version__,
        "git_sha": git_sha(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_identity(),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "packages": package_versions(),
    }
    rec.update(extra)
    return rec
