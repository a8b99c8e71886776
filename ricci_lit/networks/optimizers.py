r"""RMSprop and Adam on stacked ensemble parameters (elementwise, therefore per network).

Keras 2.9 RMSprop ↔ this module
-------------------------------
Keras 2.9 (``optimizer_v2.rmsprop``, ``momentum=0``, ``centered=False``) with defaults
``rho=0.9``, ``epsilon=1e-7``, accumulator initialised to zero, updates every parameter ``θ`` with
gradient ``g`` as

.. math:: v \\leftarrow \\rho v + (1-\\rho) g^2, \\qquad
          \\theta \\leftarrow \\theta - \\eta\\, g / (\\sqrt{v} + \\epsilon).

``torch.optim.RMSprop(lr=η, alpha=ρ, eps=ε, momentum=0, centered=False)`` computes the same formula
(``eps`` outside the square root). Note that torch's defaults differ (``alpha=0.99``, ``eps=1e-8``), so
they must be set explicitly, and that Keras ≥ 2.11/3 and the raw TF op put ``ε`` *inside* the root.
The update is implemented here on the stacked tensors, with the same operation sequence as torch's
single-tensor RMSprop (tested against ``torch.optim.RMSprop``).

Adam (paper 2, PyTorch defaults ``β1=0.9, β2=0.999, ε=1e-8``):

.. math:: m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\quad v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\quad
          \\theta \\leftarrow \\theta - \\frac{\\eta}{1-\\beta_1^t}\\,
          \\frac{m}{\\sqrt{v}/\\sqrt{1-\\beta_2^t} + \\epsilon},

with a per-network step count ``t`` so that networks can be frozen independently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["BatchedAdam", "BatchedRMSprop"]

_QUARTER_ULP = 2.0 ** -25
"""Below a quarter ulp of ``x`` (relative), ``x + δ`` rounds back to ``x`` in float32."""


class BatchedRMSprop:
    """Keras-2.9/torch RMSprop on stacked tensors: ``v ← ρv + (1−ρ)g²``, ``θ ← θ − η g/(√v + ε)``.

    Subnormal guard: an accumulator entry ``v ≤ v_tiny = (ε·2⁻²⁵)²`` (≈ 9e-30 for ε = 1e-7) is set to
    zero. Such a ``v`` does not change the current update, because ``√v ≤ ε·2⁻²⁵`` is below half an
    ulp of ε, so ``√v + ε`` rounds to ε; later denominators can differ by at most one float32 ulp
    (in practice not at all). Without the guard, the accumulators of dead ReLU units (gradient
    exactly 0) decay geometrically through the float32 subnormal range (< 1.2e-38), where CPU
    arithmetic is ~30× slower; we measured epochs running 3× slower. (TensorFlow sidesteps the
    same trap by flushing subnormals to zero on its CPU threads.) With ``ε = 0`` nothing is flushed.
    """

    def __init__(self, params: Sequence[torch.Tensor], lr: float, rho: float, eps: float) -> None:
        self.params = list(params)
        self.lr, self.rho, self.eps = float(lr), float(rho), float(eps)
        self.v_tiny = (self.eps * _QUARTER_ULP) ** 2
        self.square_avg = [torch.zeros_like(p) for p in self.params]
        self._denom = [torch.empty_like(p) for p in self.params]  # reused: no per-step allocation

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor]) -> None:
        # Same operation sequence as torch.optim.RMSprop's single-tensor path, plus the guard.
        for p, g, v, d in zip(self.params, grads, self.square_avg, self._denom):
            v.mul_(self.rho).addcmul_(g, g, value=1.0 - self.rho)
            if self.v_tiny > 0:
                F.threshold(v, self.v_tiny, 0.0, inplace=True)   # v ≤ v_tiny → 0
            torch.sqrt(v, out=d).add_(self.eps)
            p.addcdiv_(g, d, value=-self.lr)


class BatchedAdam:
    """Adam on stacked tensors with a per-network step count and an optional per-network mask.

    A network whose mask entry is False keeps its parameters, moments and step count unchanged.

    Subnormal guard (as for RMSprop): ``v ≤ (ε·2⁻²⁵·√(1−β₂))²`` is set to zero (it does not change
    ``√v̂ + ε``, since the bias correction multiplies √v by at most 1/√(1−β₂)), and ``|m| < 1e-30`` is
    set to zero (it would move a parameter by less than ``η/(1−β₁)·1e-30/ε`` = 1e-24 for the
    defaults).
    """

    def __init__(self, params: Sequence[torch.Tensor], lr: float, beta1: float, beta2: float,
                 eps: float) -> None:
        self.params = list(params)
        self.lr, self.beta1, self.beta2, self.eps = float(lr), float(beta1), float(beta2), float(eps)
        self.v_tiny = (self.eps * _QUARTER_ULP * math.sqrt(1.0 - self.beta2)) ** 2
        self.m_tiny = 1e-30 if self.eps > 0 else 0.0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.n_networks = self.params[0].shape[0]
        self.t = np.zeros(self.n_networks, dtype=np.int64)

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], mask: torch.Tensor | None = None) -> None:
        if mask is None:
            self.t += 1
        else:
            self.t += mask.detach().cpu().numpy().astype(np.int64)
        t = np.maximum(self.t, 1).astype(np.float64)
        step_size = self.lr / (1.0 - self.beta1 ** t)            # per network, computed in float64
        bc2_sqrt = np.sqrt(1.0 - self.beta2 ** t)
        dev = self.params[0].device
        step_t = torch.as_tensor(step_size, dtype=torch.float32, device=dev)
        bc2_t = torch.as_tensor(bc2_sqrt, dtype=torch.float32, device=dev)
        for p, g, m, v in zip(self.params, grads, self.exp_avg, self.exp_avg_sq):
            shape = (-1,) + (1,) * (p.dim() - 1)
            m_new = m.lerp(g, 1.0 - self.beta1)
            v_new = (v * self.beta2).addcmul_(g, g, value=1.0 - self.beta2)
            if self.v_tiny > 0:
                F.threshold(v_new, self.v_tiny, 0.0, inplace=True)
            if self.m_tiny > 0:
                m_new.masked_fill_(m_new.abs() < self.m_tiny, 0.0)
            denom = (v_new.sqrt() / bc2_t.view(shape)).add_(self.eps)
            p_new = p - step_t.view(shape) * (m_new / denom)
            if mask is None:
                m.copy_(m_new)
                v.copy_(v_new)
                p.copy_(p_new)
            else:
                mk = mask.view(shape)
                m.copy_(torch.where(mk, m_new, m))
                v.copy_(torch.where(mk, v_new, v))
                p.copy_(torch.where(mk, p_new, p))
