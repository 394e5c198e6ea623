"""Text from outside dockyard (servers, the deploy history, container logs, files) made safe to
show on a terminal: no escape sequences and no control characters, so it can neither clear the
screen, set the window title, colour what follows nor hide itself. (It is never rich markup
either: views print it as `rich.text.Text` or with `markup=False`.)
"""

from __future__ import annotations

import re

# ESC sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and the two-byte forms
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, ended by BEL or ST (or cut off)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # the rest (ESC c, ESC ( B, a lone ESC)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
# C0 controls but tab and newline, DEL, and the C1 block
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
REPLACEMENT = "\ufffd"


def printable(text: str) -> str:
    """`text` without terminal escape sequences; other control characters become U+FFFD."""
    if not text:
        return text
    return _CONTROLS.sub(REPLACEMENT, _ESCAPES.sub("", text.replace("\r\n", "\n")))


def one_line(text: str) -> str:
    """`printable(text)` with line breaks and tabs as spaces (a table cell, a message)."""
    return printable(text).replace("\r", " ").replace("\n", " ").replace("\t", " ")


def has_controls(text: str) -> bool:
    """Does `text` hold an escape sequence or a control character (tab and newline aside)?"""
    return bool(text) and _CONTROLS.search(text) is not None


def without_controls(text: str) -> str:
    """`text` with escape sequences and control characters removed, nothing put in their place
    (for text already laid out: a placeholder would change its width)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\r\n", "\n")))
