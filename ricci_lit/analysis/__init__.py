"""Analysis: numbers computed from results, never by training or drawing.

Modules
-------
:mod:`~ricci_lit.analysis.paper1`
    paper 1's pipeline on a sweep's tables: well-trained filter, per-network totals
    (:func:`~ricci_lit.analysis.paper1.per_network_k`), aggregated coefficient, best k, ρ and z,
    counts, the accuracy regression (:func:`~ricci_lit.analysis.paper1.report`);
:mod:`~ricci_lit.analysis.paper2`
    paper 2's heuristics: the stopping rule on a trajectory, layer profiles, critical layers;
:mod:`~ricci_lit.analysis.coefficients`
    summaries of coefficient tables, the one sign-agreement rule, k-robustness;
:mod:`~ricci_lit.analysis.series`, :mod:`~ricci_lit.analysis.heatmap`, :mod:`~ricci_lit.analysis.projection`
    the data of paper 1's Fig. 4 (per-network series, panels), Fig. 3 (the k × configuration
    matrix, its clustering, best-k fractions) and Fig. 1A (PC planes, linear separability);
:mod:`~ricci_lit.analysis.targets`, :mod:`~ricci_lit.analysis.verdicts`
    the papers' values and our tolerances (data), and the verdicts computed from our numbers;
:mod:`~ricci_lit.analysis.uncertainty`, :mod:`~ricci_lit.analysis.sensitivity`
    bootstrap intervals; a variant store beside the reference store;
:mod:`~ricci_lit.analysis.knn_preservation`
    paper 2's theory: linear maps preserve kNN graphs, ReLU networks rewire them.

May import :mod:`ricci_lit.geometry`, :mod:`ricci_lit.data`, :mod:`ricci_lit.networks` (for types
and thresholds) and :mod:`ricci_lit.experiments` (to read stores and profiles); never
:mod:`ricci_lit.plotting` or :mod:`ricci_lit.book`, and nothing here trains a network.
"""
