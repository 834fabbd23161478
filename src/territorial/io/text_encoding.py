"""Text files saved as "Unicode" by Excel and Notepad: UTF-16 with a byte order mark."""

from __future__ import annotations

import codecs

from territorial.errors import BadInput

# Excel's "Unicode Text" and Notepad's "Unicode" are UTF-16 and always start with a byte order mark,
# which says so.
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def utf16_text(data: bytes, file: str) -> str | None:
    """The text of a file that starts with a UTF-16 byte order mark, or None when it does not."""
    if not data.startswith(UTF16_BOMS):
        return None
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as err:
        raise BadInput.at(f"not readable as UTF-16, which its first bytes say: {err.reason}", file) from None
