"""The experiments layer: resumable runs that train networks and store their geometry, with provenance.

Every experiment is a *plan* run by one runner; results go to an append-only store.

Modules
-------
:mod:`~ricci_lit.experiments.store`
    :class:`~ricci_lit.experiments.store.ResultsStore`: Parquet chunks written atomically with provenance, a manifest that
    refuses mixed settings, packing, checkpoints (with ``schema``, ``_atomic``, ``_chunks``:
    the store's schemas and file layer).
:mod:`~ricci_lit.experiments.runner`
    The one resumable loop: a :class:`~ricci_lit.experiments.runner.Plan` of :class:`~ricci_lit.experiments.runner.Unit` s and a pure
    ``compute(settings, unit)``; :func:`~ricci_lit.experiments.runner.run_plan` skips finished units, runs the rest through an
    executor (serial by default), writes only in the caller's process, packs, and returns one
    :class:`~ricci_lit.experiments.runner.RunSummary` (or raises :class:`~ricci_lit.experiments.runner.UnitsFailedError` naming the failed units).
:mod:`~ricci_lit.experiments.paper1`
    Paper 1's sweep: profiles, the training scheme of a store, :func:`~ricci_lit.experiments.paper1.run_sweep` (one unit per
    (problem, architecture), one chunk per network), loading and timing its results.
:mod:`~ricci_lit.experiments.checkpoints`
    :func:`~ricci_lit.experiments.checkpoints.recreate_checkpoints`: a store's networks re-trained bit for bit in the sweep's batches.
:mod:`~ricci_lit.experiments.coefficients`
    Paper 2's local and layer coefficients of a sweep's networks, trained and untrained.
:mod:`~ricci_lit.experiments.paper2`
    Paper 2's trajectory and depth-profile plans; :mod:`~ricci_lit.experiments.trajectory`
    records an ensemble's coefficients along training.
:mod:`~ricci_lit.experiments.executors`
    Where a plan's units run besides this process: a Dask cluster (``--workers N`` starts a
    ``LocalCluster``; ``--scheduler ADDRESS`` uses an existing one); Dask is imported only there.
:mod:`~ricci_lit.experiments.controls`, :mod:`~ricci_lit.experiments.fig1a`
    The trained-vs-untrained control and paper 1's Fig. 1A experiment.

Layering: this package imports numpy, pandas, pyarrow, torch, tqdm, :mod:`ricci_lit.provenance`,
:mod:`ricci_lit._checks` and the geometry, data and networks layers; never the analysis or
plotting layers, and no chapter. (:func:`~ricci_lit.experiments.coefficients.coefficient_ks` uses :func:`ricci_lit.analysis.paper1.report`
through a function-level import: the one exception, paper 1's best-``k`` rule.)
"""

from ricci_lit.experiments.checkpoints import recreate_checkpoints, training_batches
from ricci_lit.experiments.coefficients import (
    STATES,
    coefficient_ks,
    hidden_coefficient,
    load_coefficients,
    run_coefficient_sweep,
)
from ricci_lit.experiments.paper1 import (
    K_GRID_REAL,
    K_GRID_SYNTHETIC,
    LEGACY_TRAINING_SCHEME,
    PROFILES,
    Profile,
    expected_networks,
    get_profile,
    load_results,
    network_table,
    pack_results,
    resolve_training_scheme,
    run_sweep,
    stored_profile,
    timing_table,
    training_scheme,
)
from ricci_lit.experiments.paper2 import PLANS, P2Plan, load_p2_experiments, run_p2_experiments
from ricci_lit.experiments.runner import (
    Chunk,
    Plan,
    RunSummary,
    Unit,
    UnitOutput,
    UnitsFailedError,
    run_plan,
    serial_executor,
)
from ricci_lit.experiments.store import ResultsStore, StoreMismatchError, read_manifest, read_table
from ricci_lit.experiments.trajectory import local_coefficient_trajectory

__all__ = [
    "Chunk", "Plan", "RunSummary", "Unit", "UnitOutput", "UnitsFailedError", "run_plan", "serial_executor",
    "ResultsStore", "StoreMismatchError", "read_manifest", "read_table",
    "K_GRID_REAL", "K_GRID_SYNTHETIC", "LEGACY_TRAINING_SCHEME", "PROFILES", "Profile", "expected_networks",
    "get_profile", "load_results", "network_table", "pack_results", "resolve_training_scheme", "run_sweep",
    "stored_profile", "timing_table", "training_scheme",
    "recreate_checkpoints", "training_batches",
    "STATES", "coefficient_ks", "hidden_coefficient", "load_coefficients", "run_coefficient_sweep",
    "PLANS", "P2Plan", "load_p2_experiments", "run_p2_experiments",
    "local_coefficient_trajectory",
]
