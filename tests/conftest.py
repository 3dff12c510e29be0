"""Shared fixtures: Keras runs on its numpy backend in every test process."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "numpy")
