"""Built-in losses; importing this package registers every one of them."""

from losscli.losses import crossentropy  # noqa: F401
from losscli.losses import hinge  # noqa: F401
from losscli.losses import probabilistic  # noqa: F401
from losscli.losses import regression  # noqa: F401
from losscli.losses import segmentation  # noqa: F401
from losscli.losses import sequence  # noqa: F401
from losscli.losses import similarity  # noqa: F401
