"""Reading tokens from the text between the nodes `ast` places: whitespace, comments, parentheses, keywords,
and string literals (which `ast` merges when they are concatenated)."""

from __future__ import annotations

import re
from typing import Any

# Between two tokens inside brackets: spaces, comments, newlines, line continuations.
GAP = re.compile(r"(?:[ \t\f]+|\\\r\n|\\[\r\n]|#[^\r\n]*|\r\n|[\r\n])*")
# Between two tokens of a line outside brackets.
LINE_GAP = re.compile(r"(?:[ \t\f]+|\\\r\n|\\[\r\n])*")
NAME = re.compile(r"[^\W\d]\w*")
# Tokens that may come between an expression's start and what `ast` says is its start: its parentheses.
PAREN_OR_COMMENT = re.compile(r"#[^\r\n]*|[^\s\\]")
NEWLINE = re.compile(r"\r\n|\r|\n")
_SPEC_STOPS = re.compile(r"[{}\\]")  # where a format spec's text ends: a field, its end, or an escape

_PREFIX = re.compile(r"[A-Za-z]*")
BODY = {
    "'": re.compile(r"(?:[^'\\\r\n]|\\(?:\r\n|[\s\S]))*'"),
    '"': re.compile(r'(?:[^"\\\r\n]|\\(?:\r\n|[\s\S]))*"'),
    "'''": re.compile(r"(?:[^'\\]|\\[\s\S]|'(?!''))*'''"),
    '"""': re.compile(r'(?:[^"\\]|\\[\s\S]|"(?!""))*"""'),
}


def _prefixes_string(text: str, at: int) -> bool:
    """Whether a letter at `at` starts a string's prefix (`r'...'`, `rb"..."`)."""
    following = text[at + 1 : at + 2]
    return following in ("'", '"') or (following.isalpha() and text[at + 2 : at + 3] in ("'", '"'))


class Unscannable(Exception):
    """Text this module does not read as `ast` and LibCST do."""


def quote_at(text: str, at: int) -> str:
    char = text[at]
    if text.startswith(char * 3, at):
        return char * 3
    return char


def string_end(text: str, at: int) -> int:
    """Where the string literal starting at `at` (its prefix) ends."""
    prefix = _PREFIX.match(text, at).end()  # type: ignore[union-attr]
    quote = quote_at(text, prefix)
    if "f" in text[at:prefix].lower() or "t" in text[at:prefix].lower():
        end, _ = FString(text, prefix + len(quote), quote, "r" in text[at:prefix].lower()).scan()
        return end
    found = BODY[quote].match(text, prefix + len(quote))
    if found is None:
        raise Unscannable("unterminated string")
    return found.end()


# A replacement field: ("field", start, expression start, expression end, equal at or -1, conversion or None,
# spec parts or None, end). A text: ("text", start, end).
Part = tuple[Any, ...]


class FString:
    """The parts of an f-string from its text: literal text and replacement fields, nested ones in format
    specs, positions into `text`."""

    def __init__(self, text: str, start: int, quote: str, raw: bool) -> None:
        self.text, self.start, self.quote, self.raw = text, start, quote, raw
        self.stops = re.compile("[{}\\\\" + ("\r\n" if len(quote) == 1 else "") + re.escape(quote[0]) + "]")

    def scan(self) -> tuple[int, list[Part]]:
        """(where the literal ends, its parts)."""
        text, quote = self.text, self.quote
        parts: list[Part] = []
        at = literal = self.start
        while True:
            found = self.stops.search(text, at)
            if found is None:
                raise Unscannable("unterminated f-string")
            at = found.start()
            char = text[at]
            if char == "\\":
                at = self._escape(at)
            elif char in "\r\n":
                raise Unscannable("newline in f-string")
            elif char == quote[0]:
                if text.startswith(quote, at):
                    if at > literal:
                        parts.append(("text", literal, at))
                    return at + len(quote), parts
                at += 1
            elif text.startswith(char * 2, at):  # {{ or }}
                at += 2
            elif char == "}":
                raise Unscannable("single } in f-string")
            else:
                if at > literal:
                    parts.append(("text", literal, at))
                field = self.field(at)
                parts.append(field)
                at = literal = field[-1]

    def _escape(self, at: int) -> int:
        text = self.text
        following = text[at + 1 : at + 2]
        if following in ("{", "}"):
            return at + 1
        if not self.raw and following == "N" and text[at + 2 : at + 3] == "{":
            close = text.find("}", at)
            if close < 0:
                raise Unscannable("unterminated \\N{}")
            return close + 1
        if text.startswith("\r\n", at + 1):
            return at + 3
        return at + 2

    def field(self, at: int) -> Part:
        """The replacement field whose `{` is at `at`."""
        text = self.text
        expression = at + 1
        stop = end = self._expression_end(expression)
        equal = -1
        if text[end] == "=":
            equal = end
            end = GAP.match(text, end + 1).end()  # type: ignore[union-attr]
        conversion = None
        if text[end] == "!":
            conversion = text[end + 1]
            end = GAP.match(text, end + 2).end()  # type: ignore[union-attr]
        spec = None
        if text[end] == ":":
            spec, end = self._spec(end + 1)
        if text[end] != "}":
            raise Unscannable("replacement field not closed")
        return ("field", at, expression, stop, equal, conversion, spec, end + 1)

    def _expression_end(self, at: int) -> int:
        """Where the expression of a field ends: at `=`, `!`, `:` or `}` outside brackets."""
        text = self.text
        depth = 0
        while True:
            char = text[at]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif char in "'\"" or (char.isalpha() and _prefixes_string(text, at)):
                at = string_end(text, at)
                continue
            elif char == "#":
                newline = NEWLINE.search(text, at)
                if newline is None:
                    raise Unscannable("comment to the end")
                at = newline.start()
                continue
            elif depth == 0:
                if char == "!" and text[at + 1] != "=":
                    break
                if char == ":":
                    break
                if char == "=" and text[at + 1] != "=" and text[at - 1] not in "=!<>":
                    break
            elif char == "\\":
                at += 1
            at += 1
        return at

    def _spec(self, at: int) -> tuple[list[Part], int]:
        text = self.text
        parts: list[Part] = []
        literal = at
        while True:
            found = _SPEC_STOPS.search(text, at)
            if found is None:
                raise Unscannable("unterminated format spec")
            at = found.start()
            char = text[at]
            if char == "\\":
                at = self._escape(at)
                continue
            if char == "}":
                if at > literal:
                    parts.append(("text", literal, at))
                return parts, at
            if at > literal:
                parts.append(("text", literal, at))
            field = self.field(at)
            parts.append(field)
            at = literal = field[-1]
