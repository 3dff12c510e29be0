"""Custom losses for losscli: one of each kind it understands.

    losscli list --plugin sample_data/plugins/my_losses.py --category custom
    losscli eval --plugin sample_data/plugins/my_losses.py \
        'squared_log_ratio,pinball(tau=0.9)' sample_data/regression.csv
    losscli eval --plugin sample_data/plugins/my_losses.py \
        'contrastive(margin=0.5)' sample_data/binary.csv

Losses receive numpy arrays shaped (N, ...) (a scalar column is (N, 1)) and return one value
per row, shape (N,). losscli applies reductions and sample weights, as Keras's
LossFunctionWrapper does. Helpers are private (leading underscore) so they are not found.
"""

from __future__ import annotations

import numpy as np

import losscli


def _difference(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return y_pred - y_true


# 1. A plain function with the (y_true, y_pred) signature is found and registered by name.
def squared_log_ratio(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Squared log ratio of magnitudes: MSLE for values of any sign.

    mean((log1p(|y_pred|) - log1p(|y_true|))^2, axis=-1)
    """
    ratio = np.log1p(np.abs(y_pred)) - np.log1p(np.abs(y_true))
    return np.mean(np.square(ratio), axis=-1)


# 2. A factory: every parameter has a default and it returns a (y_true, y_pred) callable.
#    'contrastive(margin=2.0)' calls contrastive(margin=2.0) once and evaluates the result.
def contrastive(margin: float = 1.0):
    """Contrastive loss (Hadsell et al.): y_true 1 = similar pair, y_pred a distance."""

    def loss(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        similar = y_true * np.square(y_pred)
        dissimilar = (1.0 - y_true) * np.square(np.maximum(margin - y_pred, 0.0))
        return np.mean(similar + dissimilar, axis=-1)

    return loss


# 3. A decorated loss: the decorator gives it a name, aliases, a category and parameter help.
#    Its extra parameters (with defaults) become spec parameters: 'pinball(tau=0.9)'.
@losscli.register_loss(
    name="pinball",
    aliases=("quantile",),
    category="quantile",
    formula="mean(max(tau * d, (tau - 1) * d), axis=-1), d = y_true - y_pred",
    params={"tau": "the quantile to estimate, in (0, 1)"},
)
def pinball_loss(y_true: np.ndarray, y_pred: np.ndarray, tau: float = 0.5) -> np.ndarray:
    """Pinball (quantile) loss: under-prediction costs tau, over-prediction 1 - tau."""
    d = -_difference(y_true, y_pred)
    return np.mean(np.maximum(tau * d, (tau - 1.0) * d), axis=-1)
