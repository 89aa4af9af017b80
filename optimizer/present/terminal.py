"""A terminal that shows control characters instead of obeying them.

Ids, names, descriptions and file names come from scenario files and are printed as written;
an ESC sequence in a scenario's name could set the window title or clear the screen, and a
right-to-left override could make a line read as something else. `SafeConsole` shows each
such character escaped (ESC as `\\x1b`, BEL as `\\x07`, U+202E as `\\u202e`), in every table
cell, message and error it prints; newline and tab keep their meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

_UNSAFE = [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0),
           0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ESCAPES = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _UNSAFE}
"""C0 controls but newline and tab, DEL, C1 controls, and the bidirectional marks."""


def printable(text: str) -> str:
    """`text` with every control character shown as its escape: 'a\\x1b]0;x\\x07' for
    'a<ESC>]0;x<BEL>'."""
    return text.translate(_ESCAPES)


def safe_text(text: str = "", style: str = "") -> Text:
    """A rich Text of `text` (from a scenario, a result or a file) with its control
    characters shown escaped. rich's Text drops BEL, backspace, CR, VT and FF as it is made,
    before SafeConsole could show them, so a name's BEL vanished instead of showing as
    `\\x07`; build any Text that holds such text with this."""
    return Text(printable(text), style=style)


class SafeConsole(Console):
    """A rich Console that never writes a control character it was given to print: text is
    escaped where rich turns a str into Text (so tables measure the escaped width), and any
    that reaches output another way (a Text built by the caller) is escaped at the end.
    rich's own control codes (a spinner's cursor moves) pass as they are."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)

    def render(self, renderable: Any, options: Any = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and segment.text and \
                    segment.text != (safe := printable(segment.text)):
                yield Segment(safe, segment.style)
            else:
                yield segment
