"""Built-in losses; importing this package registers every one of them."""

from losscli.losses import regression  # noqa: F401
