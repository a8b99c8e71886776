"""Tests of ricci_lit.analysis.targets: the paper's stored values."""
from __future__ import annotations

import pytest

from ricci_lit.analysis import targets
from ricci_lit.data.problems import PAPER1_PROBLEMS
from ricci_lit.networks.mlp import ARCHITECTURES


def test_paper_values_are_consistent():
    c = targets.PAPER1_COUNTS
    assert c["networks"] == 7 * 6 * 36
    assert c["networks"] - c["below_threshold"] == c["above_threshold"]
    assert c["above_threshold"] - c["disconnected"] == c["kept"]
    assert round(100 * c["negative"] / c["kept"], 1) == 93.2
    assert set(targets.PAPER1_BEST_K_RANGE) == set(PAPER1_PROBLEMS) == set(targets.PAPER1_TEST_SIZES)
    for p, cells in targets.PAPER1_BEST_K_CELLS.items():
        lo, hi = targets.PAPER1_BEST_K_RANGE[p]
        assert len(cells) == 6 and all(lo <= k <= hi for k in cells), p
    for p, (arch, rho) in targets.PAPER1_FIG4_EXAMPLES.items():
        assert arch in ARCHITECTURES and arch.endswith("-deep") and -1 < rho < 0
    assert set(targets.PAPER1_TRENDS) == set(PAPER1_PROBLEMS)


def test_every_target_of_paper_notes_section_4_is_listed():
    assert sorted({t.item for t in targets.TARGETS}) == list(range(1, 9))
    assert len({t.key for t in targets.TARGETS}) == len(targets.TARGETS)
    for t in targets.TARGETS:
        assert t.source and t.criterion and t.paper_value and t.scope


def test_target_by_key():
    assert targets.target("fig4").item == 4
    assert all(targets.target(t.key) is t for t in targets.TARGETS)
    with pytest.raises(ValueError, match="unknown target"):
        targets.target("nope")
