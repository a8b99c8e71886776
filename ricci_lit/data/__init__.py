"""The data layer: the binary classification problems of paper 1 and paper 2 and where their data come from.

Modules
-------
:mod:`~ricci_lit.data.dataset`
    The :class:`~ricci_lit.data.dataset.Dataset` container and the seeded test-subset rule.
:mod:`~ricci_lit.data.synthetic`
    The seeded generators of the synthetic sets (paper 1's A, B, C; paper 2's syn-1 … syn-4).
:mod:`~ricci_lit.data.idx`
    The IDX file reader and writer (magic number, dtype, byte count checked).
:mod:`~ricci_lit.data.images`
    MNIST / Fashion-MNIST: locating the IDX files, downloading them md5-checked, reading two classes.
:mod:`~ricci_lit.data.problems`
    The registry :data:`~ricci_lit.data.problems.PROBLEMS`, P1's well-trained thresholds, :func:`~ricci_lit.data.problems.load_problem` and the one
    training-subset rule :func:`~ricci_lit.data.problems.load_xy`.
:mod:`~ricci_lit.data.training_sets`
    Which training points are fitted on: the full split, or the authors' class-sorted Keras
    ``validation_split`` (issue 14).

Layering: this package imports numpy, scipy and :mod:`ricci_lit._checks` only (never torch, never
another layer of ricci_lit); the networks, experiments and analysis layers import it.
"""

from ricci_lit.data.dataset import Dataset, TestSubset, split_streams, subset_indices
from ricci_lit.data.idx import (
    parse_idx,
    read_idx,
    read_idx_bytes,
    read_idx_header,
    write_idx,
)
from ricci_lit.data.images import (
    CONTENT_MD5,
    DOWNLOAD_URLS,
    GZ_MD5,
    IDX_FILES,
    ChecksumError,
    SearchRoots,
    download_idx,
    find_idx_dir,
    load_pair,
)
from ricci_lit.data.problems import (
    PAPER1_PROBLEMS,
    PAPER2_SYNTHETIC,
    PROBLEMS,
    WELL_TRAINED_THRESHOLD,
    ProblemSpec,
    is_well_trained,
    load_problem,
    load_xy,
    make_synthetic,
)
from ricci_lit.data.synthetic import (
    blob_quadratic_forms,
    make_blobs_in_cube,
    make_circles,
    make_cylinders,
    make_four_disks,
    make_linked_tori,
    make_sine_sheets,
    make_swiss_rolls,
    sheets_bayes_accuracy,
    sheets_bayes_predict,
)
from ricci_lit.data.training_sets import (
    AUTHORS_VALIDATION_SPLIT,
    DEFAULT_TRAINING_SET,
    TRAINING_SETS,
    authors_training_set,
    select_training_set,
)

__all__ = [
    "AUTHORS_VALIDATION_SPLIT",
    "CONTENT_MD5",
    "DEFAULT_TRAINING_SET",
    "DOWNLOAD_URLS",
    "GZ_MD5",
    "IDX_FILES",
    "PAPER1_PROBLEMS",
    "PAPER2_SYNTHETIC",
    "PROBLEMS",
    "TRAINING_SETS",
    "WELL_TRAINED_THRESHOLD",
    "ChecksumError",
    "Dataset",
    "ProblemSpec",
    "SearchRoots",
    "TestSubset",
    "authors_training_set",
    "blob_quadratic_forms",
    "download_idx",
    "find_idx_dir",
    "is_well_trained",
    "load_pair",
    "load_problem",
    "load_xy",
    "make_blobs_in_cube",
    "make_circles",
    "make_cylinders",
    "make_four_disks",
    "make_linked_tori",
    "make_sine_sheets",
    "make_swiss_rolls",
    "make_synthetic",
    "parse_idx",
    "read_idx",
    "read_idx_bytes",
    "read_idx_header",
    "select_training_set",
    "sheets_bayes_accuracy",
    "sheets_bayes_predict",
    "split_streams",
    "subset_indices",
    "write_idx",
]
