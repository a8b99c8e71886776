"""Helpers of the plotting tests."""
from __future__ import annotations


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def render(fig):
    fig.canvas.draw()  # every figure must actually render
