"""Moved to core.errors (the bottom layer); this name stays the same module for older imports."""

import sys

from core import errors as _moved

sys.modules[__name__] = _moved
