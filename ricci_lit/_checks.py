"""Small argument checks shared by every layer (a private module: its names are public to the package)."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["is_int"]


def is_int(v: Any) -> bool:
    """True for a Python or NumPy integer that is not a bool."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
