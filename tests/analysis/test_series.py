"""Tests of ricci_lit.analysis.series: per-network layer series and the Fig. 4 panels."""
from __future__ import annotations

import numpy as np
import pytest

from ricci_lit.analysis import targets
from ricci_lit.analysis.series import fig4_panels, kept_networks, network_series
from ricci_lit.networks.mlp import ARCHITECTURES


def test_network_series_recomputes_the_reports_rho_and_finds_the_trends(small):
    rep, geo, _ = small
    series = network_series(rep, geo)
    kept = kept_networks(rep)
    assert len(series) == len(kept) > 0
    merged = series.merge(kept[["problem", "architecture", "seed", "rho"]], on=["problem", "architecture", "seed"])
    np.testing.assert_allclose(merged["rho_x"].astype(float), merged["rho_y"].astype(float))
    for _, r in series.iterrows():
        assert len(r["ric"]) == r["n_hidden"] and len(r["eta"]) == r["n_hidden"] - 1
        assert r["trend"] == targets.PAPER1_TRENDS[r["problem"]]


def test_fig4_panels_use_the_papers_architecture_else_a_deep_fallback(small):
    rep, geo, _ = small
    series = network_series(rep, geo)
    panels = fig4_panels(series, ["A", "fmnist-5v9", "C"])
    assert [p["problem"] for p in panels] == ["A", "fmnist-5v9"]  # C has no networks: skipped
    assert all(p["architecture"] == "wide-deep" and not p["fallback"] for p in panels)
    for p in panels:
        assert len(p["ric"]) == len(p["eta"]) == len(p["labels"]) == ARCHITECTURES["wide-deep"].__len__() - 1
        sub = series[(series.problem == p["problem"]) & (series.architecture == "wide-deep")]
        assert p["rho"] == pytest.approx(sorted(sub["rho"])[(len(sub) - 1) // 2])  # the median network
    renamed = series.replace({"architecture": {"wide-deep": "narrow-deep"}})
    fb = fig4_panels(renamed, ["A"])
    assert fb[0]["architecture"] == "narrow-deep" and fb[0]["fallback"]
    shallow = series[series.architecture == "narrow-shallow"]
    assert fig4_panels(shallow, ["A"]) == []
