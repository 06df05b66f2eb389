"""Which visitor digits are held out of training, decided by a hash of the digit itself.

    held_out(image_bytes)          # True for about HELD_OUT_SHARE of all digits

The same digit lands on the same side every time, whatever order the rows come in, whichever
export it is in, and however many digits join later: a held-out score stays honest across runs.
"""

from __future__ import annotations

import hashlib

HELD_OUT_SHARE = 0.2


def held_out(image: bytes, share: float = HELD_OUT_SHARE) -> bool:
    """Whether the 28x28 digit with these bytes (uint8, as exported) is kept out of training."""
    bucket = int.from_bytes(hashlib.sha256(image).digest()[:8], "big") / 2**64  # uniform in [0, 1)
    return bucket < share
