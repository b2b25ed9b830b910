"""
Gitignore patterns, matched exactly as git matches them.

A port of git's own rules (``dir.c``: how a line becomes a pattern; ``wildmatch.c``: how a
pattern matches), compiled to one regular expression per pattern over the bytes of a path.
Every line git accepts is accepted here and means what it means to git, odd ones included:
a lone ``!`` or ``\\``, a reversed range ``[z-a]``, an unterminated ``[`` or an unknown
``[[:class:]]`` are patterns that match nothing; ``[!z-a]`` matches any one character;
``[[:alpha:]]`` is a character class, and ``foo**/bar`` matches ``foobar`` as in git.
pathspec, used before, raised on the first three and read the others differently.

Names are matched as bytes, as git does: ``?`` is one byte, and a file name that is not
UTF-8 matches the same patterns it would in git.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

__all__ = ["IgnoreFile"]

_SLASH: Final = ord("/")
_STAR: Final = ord("*")
_BACKSLASH: Final = ord("\\")
_OPEN: Final = ord("[")
_CLOSE: Final = ord("]")
_DASH: Final = ord("-")
_COLON: Final = ord(":")
_QUESTION: Final = ord("?")
_SPACE: Final = ord(" ")
_GLOB_SPECIAL: Final = frozenset(b"*?[\\")


def _ascii(test: str) -> frozenset[int]:
    return frozenset(code for code in range(128) if re.fullmatch(test, chr(code)))


#: wildmatch's ``[:name:]`` classes, over git's own ASCII-only ctype (no byte >= 128 is in
#: any of them; ``space`` is tab, newline, carriage return and space, not \v or \f).
_CLASSES: Final = {
    b"alnum": _ascii("[A-Za-z0-9]"),
    b"alpha": _ascii("[A-Za-z]"),
    b"blank": frozenset(b" \t"),
    b"cntrl": frozenset([*range(32), 127]),
    b"digit": _ascii("[0-9]"),
    b"graph": frozenset(range(33, 127)),
    b"lower": _ascii("[a-z]"),
    b"print": frozenset(range(32, 127)),
    b"punct": frozenset(c for c in range(33, 127) if not chr(c).isalnum()),
    b"space": frozenset(b"\t\n\r "),
    b"upper": _ascii("[A-Z]"),
    b"xdigit": _ascii("[0-9A-Fa-f]"),
}
#: What a bracket expression can match: any byte but NUL (never in a name) and '/'.
_ANY_BYTE: Final = frozenset(range(1, 256)) - {_SLASH}


# One branch per case of wildmatch.c, in its order, so the port can be read against it.
def _bracket(pattern: bytes, start: int) -> tuple[frozenset[int], int] | None:  # noqa: PLR0911, PLR0912
    """
    The bytes the bracket expression opened just before *start* matches, and the index
    after its ``]``; None when it is malformed (wildmatch then aborts: no match).
    """
    i, end = start, len(pattern)
    negated = i < end and pattern[i] in b"!^"
    if negated:
        i += 1
    members: set[int] = set()
    previous = 0  # the last single member, which a '-' may extend into a range
    while True:
        if i >= end:
            return None
        char = pattern[i]
        if char == _BACKSLASH:
            i += 1
            if i >= end:
                return None
            char = pattern[i]
            members.add(char)
        elif char == _DASH and previous and i + 1 < end and pattern[i + 1] != _CLOSE:
            i += 1
            char = pattern[i]
            if char == _BACKSLASH:
                i += 1
                if i >= end:
                    return None
                char = pattern[i]
            members.update(range(previous, char + 1))  # empty when reversed, as in git
            char = 0
        elif char == _OPEN and i + 1 < end and pattern[i + 1] == _COLON:
            close = pattern.find(b"]", i + 2)
            if close < 0:
                return None
            if close - (i + 2) - 1 < 0 or pattern[close - 1] != _COLON:
                members.add(_OPEN)  # no ":]": an ordinary '['
            else:
                known = _CLASSES.get(pattern[i + 2 : close - 1])
                if known is None:
                    return None  # git aborts on an unknown class name
                members.update(known)
                i = close
                char = 0
        else:
            members.add(char)
        previous = char
        i += 1
        if i >= end:
            return None
        if pattern[i] == _CLOSE:
            chosen = (_ANY_BYTE - members) if negated else (members & _ANY_BYTE)
            return frozenset(chosen), i + 1


def _translate(pattern: bytes) -> bytes | None:
    """The regular expression of wildmatch *pattern* with ``WM_PATHNAME``; None: no match."""
    parts: list[bytes] = []
    i, end = 0, len(pattern)
    while i < end:
        char = pattern[i]
        if char == _BACKSLASH:
            if i + 1 >= end:
                return None  # a trailing backslash matches nothing
            parts.append(re.escape(pattern[i + 1 : i + 2]))
            i += 2
        elif char == _QUESTION:
            parts.append(b"[^/]")
            i += 1
        elif char == _STAR:
            run_end = i
            while run_end < end and pattern[run_end] == _STAR:
                run_end += 1
            after = pattern[run_end : run_end + 2]
            whole_segment = (i == 0 or pattern[i - 1] == _SLASH) and (
                run_end == end or after[:1] == b"/" or after == b"\\/"
            )
            if run_end - i < 2 or not whole_segment:
                parts.append(b"[^/]*")  # '*', or '**' inside a segment: no '/'
            elif after[:1] == b"/":
                parts.append(b"(?:.*/)?")  # '**/': any number of whole directories
                run_end += 1
            else:
                parts.append(b".*")
            i = run_end
        elif char == _OPEN:
            bracket = _bracket(pattern, i + 1)
            if bracket is None or not bracket[0]:
                return None
            members, i = bracket
            parts.append(b"[" + b"".join(b"\\x%02x" % code for code in sorted(members)) + b"]")
        else:
            parts.append(re.escape(pattern[i : i + 1]))
            i += 1
    return b"".join(parts)


def _literal_length(pattern: bytes) -> int:
    """How many leading bytes of *pattern* are literal (git's ``simple_length``)."""
    for index, char in enumerate(pattern):
        if char in _GLOB_SPECIAL:
            return index
    return len(pattern)


def _trim_trailing_spaces(line: bytes) -> bytes:
    """Drop trailing spaces unless escaped with a backslash (git's ``trim_trailing_spaces``)."""
    last_space = None
    i = 0
    while i < len(line):
        char = line[i]
        if char == _SPACE:
            if last_space is None:
                last_space = i
        elif char == _BACKSLASH:
            i += 1
            if i >= len(line):
                return line
            last_space = None
        else:
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


@attrs.frozen
class _Pattern:
    regex: re.Pattern[bytes]
    negative: bool
    must_be_dir: bool
    #: No '/' in the pattern: it matches a name at any depth, else the path from the base.
    basename: bool


def _compile(line: bytes) -> _Pattern | None:
    """One pattern line (git's ``parse_path_pattern`` and ``match_pathname``)."""
    negative = line.startswith(b"!")
    text = line[1:] if negative else line
    literal = min(_literal_length(text), len(text))
    must_be_dir = text.endswith(b"/")
    if must_be_dir:
        text = text[:-1]
        literal = min(literal, len(text))
    basename = b"/" not in text
    if not basename and text.startswith(b"/"):
        text, literal = text[1:], literal - 1
    # git compares the literal head as is and wildmatches the rest on its own, so a '**'
    # right after the head counts as the start of a pattern ("foo**/bar" matches "foobar").
    rest = _translate(text[literal:])
    if not text or rest is None:
        return None
    regex = re.compile(re.escape(text[:literal]) + rest, re.DOTALL)
    return _Pattern(regex=regex, negative=negative, must_be_dir=must_be_dir, basename=basename)


@attrs.frozen
class IgnoreFile:
    """The patterns of one ignore file, which apply to the paths under its directory."""

    #: The directory of the file, relative to the root ("" for the root), '/'-separated.
    base: str
    patterns: tuple[_Pattern, ...]

    @classmethod
    def parse(cls, data: bytes, base: str) -> IgnoreFile:
        """Read *data* line by line as git does (``add_patterns_from_buffer``)."""
        data = data.removeprefix(b"\xef\xbb\xbf")
        patterns = []
        for raw in data.split(b"\n"):
            if not raw or raw.startswith(b"#"):
                continue
            line = raw.removesuffix(b"\r").split(b"\0", 1)[0]  # git reads a C string
            pattern = _compile(_trim_trailing_spaces(line))
            if pattern is not None:
                patterns.append(pattern)
        return cls(base=base, patterns=tuple(patterns))

    def decide(self, path: bytes, *, is_dir: bool) -> bool | None:
        """
        For *path* (relative to the root, under :attr:`base`): True if the last pattern
        that matches ignores it, False if it re-includes it (``!``), None if none matches.
        """
        local = path[len(self.base) + 1 :] if self.base else path
        name = local.rpartition(b"/")[2]
        for pattern in reversed(self.patterns):
            if pattern.must_be_dir and not is_dir:
                continue
            if pattern.regex.fullmatch(name if pattern.basename else local):
                return not pattern.negative
        return None
