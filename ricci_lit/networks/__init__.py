"""The networks layer: the MLP ensembles of paper 1 and paper 2, how they are trained, saved and read.

Modules
-------
:mod:`~ricci_lit.networks.architectures`
    The six architectures of paper 1 (and any width tuple), the initialisations, the per-network
    draw order, :func:`~ricci_lit.networks.architectures.check_seeds`.
:mod:`~ricci_lit.networks.mlp`
    :class:`~ricci_lit.networks.mlp.MLPEnsemble` (``B`` networks of one shape, stacked), representations, predictions,
    :func:`~ricci_lit.networks.mlp.accuracy` (``z > 0``) and :func:`~ricci_lit.networks.mlp.output_accuracy` (sigmoid output > 1/2, the stores' rule).
:mod:`~ricci_lit.networks.checkpoint`
    Saving and loading ensembles: tensors and plain data only, read with ``weights_only=True``.
:mod:`~ricci_lit.networks.optimizers`
    Keras-2.9 RMSprop and Adam on stacked parameters (elementwise, hence per network).
:mod:`~ricci_lit.networks.training`
    Minibatch training of ensembles (paper 1), :class:`~ricci_lit.networks.training.TrainConfig`, the training schemes.
:mod:`~ricci_lit.networks.until_accuracy`
    Full-batch Adam until a training-accuracy threshold (paper 2).
``_common``
    What both trainers share (input checks, :class:`~ricci_lit.networks._common.TrainResult`, evaluation, the schemes).

:func:`~ricci_lit._device.resolve_device` is the package's one device rule (:mod:`ricci_lit._device`).

Layering: this package imports numpy, torch, tqdm, :mod:`ricci_lit._checks`,
:mod:`ricci_lit._device` and the geometry layer; never the data, experiments, analysis or
plotting layers (training takes arrays, not problem names).
"""

from ricci_lit._device import resolve_device
from ricci_lit.networks._common import BLOCK_SIZE, DEFAULT_SCHEME, LEGACY_SCHEME, SCHEMES, TrainResult, check_xy
from ricci_lit.networks.architectures import (
    ARCHITECTURES,
    INITS,
    ArchSpec,
    architecture_name,
    check_seeds,
    glorot_limit,
    hidden_widths,
)
from ricci_lit.networks.checkpoint import load_ensemble, read_checkpoint, save_ensemble
from ricci_lit.networks.mlp import (
    LayerSelection,
    MLPEnsemble,
    Representations,
    accuracy,
    hidden_slice,
    output_accuracy,
    predict_logits,
    predict_proba,
    representations,
)
from ricci_lit.networks.optimizers import BatchedAdam, BatchedRMSprop
from ricci_lit.networks.training import (
    OPTIMIZERS,
    SHUFFLE_STREAM,
    TrainConfig,
    canonical_block,
    epoch_permutation,
    torch_threads,
    train_ensemble,
)
from ricci_lit.networks.until_accuracy import UntilAccuracyConfig, train_until_accuracy

__all__ = [
    "ARCHITECTURES",
    "BLOCK_SIZE",
    "DEFAULT_SCHEME",
    "INITS",
    "LEGACY_SCHEME",
    "OPTIMIZERS",
    "SCHEMES",
    "SHUFFLE_STREAM",
    "ArchSpec",
    "BatchedAdam",
    "BatchedRMSprop",
    "LayerSelection",
    "MLPEnsemble",
    "Representations",
    "TrainConfig",
    "TrainResult",
    "UntilAccuracyConfig",
    "accuracy",
    "architecture_name",
    "canonical_block",
    "check_seeds",
    "check_xy",
    "epoch_permutation",
    "glorot_limit",
    "hidden_slice",
    "hidden_widths",
    "load_ensemble",
    "output_accuracy",
    "predict_logits",
    "predict_proba",
    "read_checkpoint",
    "representations",
    "resolve_device",
    "save_ensemble",
    "torch_threads",
    "train_ensemble",
    "train_until_accuracy",
]
