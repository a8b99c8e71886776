"""The one runner (:mod:`ricci_lit.experiments.runner`) on toy plans: skipping, resuming, several
chunks per unit, failures reported with their keys after the other units, executors, packing.

The toy computation is a module-level pure function of (settings, unit), as every real plan's is.
"""
from __future__ import annotations

import pickle
import zlib
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ricci_lit.experiments.runner import (
    Chunk,
    Plan,
    Unit,
    UnitOutput,
    UnitsFailedError,
    run_plan,
    serial_executor,
)
from ricci_lit.experiments.store import read_table


def toy_compute(settings: dict, unit: Unit) -> UnitOutput:
    """Chunk ``g+i+j`` holds ``settings['scale'] * (i + j)``; unit ``g+i`` owns ``j = 0 … n-1``."""
    if unit.payload.get("fail"):
        raise ArithmeticError(f"unit {unit.key} asked to fail")
    i = unit.payload["i"]
    chunks = [Chunk(table, key, pd.DataFrame({"i": [i], "key": [key],
                                              "value": [settings["scale"] * (i + int(key.rsplit("+", 1)[1]))]}),
                    {"unit": unit.key})
              for table, key in unit.chunks]
    return UnitOutput(chunks=chunks, stages={"toy": 1.0}, extra=len(chunks),
                      files={f"files/{unit.key}.txt": unit.key.encode()} if unit.payload.get("file") else {})


def toy_plan(root: Path, n_units: int = 3, per_unit: int = 2, *, fail: set[int] = frozenset(), groups: int = 1,
             **kw) -> Plan:
    units = [Unit(key=f"g{i % groups}+{i}", chunks=tuple(("toy", f"g{i % groups}+{i}+{j}") for j in range(per_unit)),
                  payload={"i": i, "fail": i in fail})
             for i in range(n_units)]
    return Plan(root=root, profile="toy", store_settings={"scale": 2}, units=units, compute=toy_compute,
                settings={"scale": 2}, desc="toy", **kw)


def values(root: Path) -> dict[str, int]:
    t = read_table(root, "toy")
    return dict(zip(t["key"], t["value"])) if len(t) else {}


def test_runs_every_unit_and_writes_several_chunks_per_unit(tmp_path):
    s = run_plan(toy_plan(tmp_path / "s"), progress=False)
    assert (s.total, s.skipped, s.computed, s.failed) == (3, 0, 3, {})
    assert (s.chunks_total, s.chunks_before, s.chunks_written) == (6, 0, 6)
    assert s.outputs == {"g0+0": 2, "g0+1": 2, "g0+2": 2} and s.stages["toy"] == 3.0 and "write" in s.stages
    assert values(tmp_path / "s") == {f"g0+{i}+{j}": 2 * (i + j) for i in range(3) for j in range(2)}


def test_resume_skips_finished_units_and_narrows_partial_ones(tmp_path):
    root = tmp_path / "s"
    run_plan(toy_plan(root, n_units=2), progress=False)
    (root / "chunks" / "toy--g0+1+1.parquet").unlink()  # unit g0+1 half done
    seen = []

    def spy(fn, tasks):
        for i, (st_, unit) in enumerate(tasks):
            seen.append(unit.chunks)
            yield i, fn(st_, unit)

    s = run_plan(toy_plan(root, n_units=3), executor=spy, progress=False)
    assert seen == [(("toy", "g0+1+1"),), (("toy", "g0+2+0"), ("toy", "g0+2+1"))]
    assert (s.skipped, s.computed, s.chunks_before, s.chunks_written) == (1, 2, 3, 3)
    again = run_plan(toy_plan(root, n_units=3), executor=spy, progress=False)
    assert again.computed == 0 and again.skipped == 3 and len(seen) == 2


def test_a_failing_unit_is_named_after_the_others_are_written(tmp_path):
    root = tmp_path / "s"
    with pytest.raises(UnitsFailedError, match=r"1 of 3 units failed: g0\+1 \(ArithmeticError: unit g0\+1 asked"):
        run_plan(toy_plan(root, fail={1}), progress=False)
    assert sorted(values(root)) == ["g0+0+0", "g0+0+1", "g0+2+0", "g0+2+1"]
    with pytest.raises(UnitsFailedError) as info:
        run_plan(toy_plan(root, n_units=5, fail={1, 3}), progress=False)
    assert list(info.value.summary.failed) == ["g0+1", "g0+3"] and info.value.summary.computed == 1
    s = run_plan(toy_plan(root, n_units=5), progress=False)
    assert s.computed == 2 and len(values(root)) == 10


def test_more_than_three_failures_are_counted(tmp_path):
    with pytest.raises(UnitsFailedError, match=r"5 of 5 units failed: .* and 2 more$"):
        run_plan(toy_plan(tmp_path / "s", n_units=5, fail=set(range(5))), progress=False)


def test_an_out_of_order_executor_gives_the_same_store(tmp_path):
    def reverse(fn, tasks):  # all tasks first (as a cluster would), results in reverse
        items = list(tasks)
        for i in reversed(range(len(items))):
            yield i, fn(*pickle.loads(pickle.dumps(items[i])))  # through pickle, as to another process

    a = run_plan(toy_plan(tmp_path / "a", n_units=4), progress=False)
    b = run_plan(toy_plan(tmp_path / "b", n_units=4), executor=reverse, progress=False)
    assert a.chunks_written == b.chunks_written == 8
    assert values(tmp_path / "a") == values(tmp_path / "b")


def test_serial_executor_is_lazy_and_yields_errors():
    calls = []

    def fn(settings, unit):
        calls.append(unit)
        if unit == "bad":
            raise KeyError(unit)
        return unit

    it = serial_executor(fn, iter([(None, "a"), (None, "bad"), (None, "c")]))
    assert next(it) == (0, "a") and calls == ["a"]
    i, exc = next(it)
    assert i == 1 and isinstance(exc, KeyError)
    assert list(it) == [(2, "c")]

    def interrupted(settings, unit):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(serial_executor(interrupted, [(None, "a")]))


def test_check_errors_are_raised_before_anything_runs(tmp_path):
    def check(store, units):
        raise ValueError(f"{len(units)} units, refused")

    with pytest.raises(ValueError, match="^3 units, refused$"):
        run_plan(toy_plan(tmp_path / "s", check=check), progress=False)
    assert values(tmp_path / "s") == {}


def test_prepare_adds_inputs_in_the_callers_process_and_its_errors_fail_one_unit(tmp_path):
    def prepare(store, unit):
        if unit.payload["i"] == 0:
            raise FileNotFoundError("no input for unit 0")
        return replace(unit, payload={**unit.payload, "file": True})

    with pytest.raises(UnitsFailedError, match=r"1 of 2 units failed: g0\+0 \(FileNotFoundError"):
        run_plan(toy_plan(tmp_path / "s", n_units=2, prepare=prepare), progress=False)
    assert (tmp_path / "s" / "files" / "g0+1.txt").read_bytes() == b"g0+1"
    assert not (tmp_path / "s" / "files" / "g0+0.txt").exists()


def test_a_unit_returning_chunks_it_does_not_own_fails(tmp_path):
    plan = toy_plan(tmp_path / "s", n_units=1)
    plan = replace(plan, compute=_stray_compute)
    with pytest.raises(UnitsFailedError, match="does not own"):
        run_plan(plan, progress=False)
    assert values(tmp_path / "s") == {}


def _stray_compute(settings, unit):
    return UnitOutput(chunks=[Chunk("toy", "elsewhere+0+0", pd.DataFrame({"key": ["x"]}), {})])


def test_duplicate_unit_keys_are_refused(tmp_path):
    plan = toy_plan(tmp_path / "s", n_units=1)
    plan = replace(plan, units=list(plan.units) * 2)
    with pytest.raises(ValueError, match="names a unit twice"):
        run_plan(plan, progress=False)


def test_pack_packs_each_group_once_done_and_groups_finished_before(tmp_path):
    root = tmp_path / "s"
    run_plan(toy_plan(root, n_units=4, groups=2), progress=False)          # loose
    (root / "chunks" / "toy--g1+3+0.parquet").unlink()                     # g1 not finished
    s = run_plan(toy_plan(root, n_units=4, groups=2), progress=False, pack=True)
    assert s.computed == 1
    assert sorted(p.name for p in s.packed) == ["toy--g0.parquet", "toy--g1.parquet"]
    assert not list((root / "chunks").glob("*.parquet"))
    assert len(values(root)) == 8


def test_a_failed_group_is_not_packed(tmp_path):
    root = tmp_path / "s"
    with pytest.raises(UnitsFailedError) as info:
        run_plan(toy_plan(root, n_units=4, groups=2, fail={1}), progress=False, pack=True)
    assert [p.name for p in info.value.summary.packed] == ["toy--g0.parquet"]
    assert sorted(p.name for p in (root / "chunks").glob("*.parquet")) == ["toy--g1+3+0.parquet",
                                                                          "toy--g1+3+1.parquet"]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3), st.sets(st.integers(0, 4)), st.sets(st.integers(0, 14)))
def test_any_interruption_resumes_to_the_uninterrupted_store(tmp_path_factory, n_units, per_unit, fail, lost):
    """Whatever failed or was lost (chunks deleted as a kill would have left them unwritten),
    the next run writes exactly the missing chunks and the store equals an uninterrupted run's."""
    root = tmp_path_factory.mktemp("h") / "s"
    fail = {i for i in fail if i < n_units}
    try:
        run_plan(toy_plan(root, n_units, per_unit, fail=fail), progress=False)
    except UnitsFailedError as exc:
        assert set(exc.summary.failed) == {f"g0+{i}" for i in fail}
    for path in sorted((root / "chunks").glob("*.parquet")):
        if zlib.crc32(path.name.encode()) % 15 in lost:
            path.unlink()
    before = len(values(root))
    s = run_plan(toy_plan(root, n_units, per_unit), progress=False)
    assert s.chunks_written == n_units * per_unit - before
    assert values(root) == {f"g0+{i}+{j}": 2 * (i + j) for i in range(n_units) for j in range(per_unit)}
