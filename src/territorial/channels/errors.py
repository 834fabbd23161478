"""What a channel reports when a message did not go: whether trying again may help."""

from __future__ import annotations


class DeliveryFailed(Exception):
    """The receiver could not be reached or refused the message; `permanent`: it will refuse it again."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent
