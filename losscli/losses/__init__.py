"""Built-in losses; importing this package registers every one of them."""

from losscli.losses import (  # importing registers the losses
    crossentropy,  # noqa: F401
    hinge,  # noqa: F401
    probabilistic,  # noqa: F401
    regression,  # noqa: F401
    segmentation,  # noqa: F401
    sequence,  # noqa: F401
    similarity,  # noqa: F401
    sklearn_metrics,  # noqa: F401
    sklearn_scores,  # noqa: F401
    tfa,  # noqa: F401
    tfa_metric,  # noqa: F401
    torch_likelihood,  # noqa: F401
    torch_margin,  # noqa: F401
    torch_nn,  # noqa: F401
)
