"""The provenance record (:mod:`ricci_lit.provenance`): what every stored number carries."""
from __future__ import annotations

import json

import torch

from ricci_lit.provenance import cpu_identity, provenance


def test_provenance_names_the_processor_and_is_plain_json():
    rec = provenance(seed=3)
    assert rec["seed"] == 3 and set(rec) >= {"ricci_lit", "git_sha", "python", "platform", "cpu", "created_utc",
                                             "packages"}
    cpu = rec["cpu"]
    assert set(cpu) == {"model", "vendor", "torch_capability"}
    assert all(isinstance(v, str) and v for v in cpu.values())
    assert cpu["torch_capability"] == torch.backends.cpu.get_cpu_capability()   # the kernels torch runs here
    assert json.loads(json.dumps(rec)) == rec
    rec["cpu"]["model"] = "changed"                  # a record is the caller's own copy, not the cache
    assert cpu_identity()["model"] != "changed" and provenance()["cpu"] == cpu_identity()


def test_cpu_identity_reads_the_model_and_vendor_of_this_machine():
    try:
        text = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:  # pragma: no cover - not Linux
        return
    lines = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    want = {k.strip(): v.strip() for k, v in lines.items()}
    if "model name" in want:
        assert cpu_identity()["model"] == next(
            ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("model name"))
    if "vendor_id" in want:
        assert cpu_identity()["vendor"] == want["vendor_id"]
