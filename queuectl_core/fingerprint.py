"""How a job failed, as a pattern: the parts that vary between occurrences of one failure
(numbers, addresses, paths, ids, times, quoted values) masked, the parts that tell failures apart
(the words, exit codes, HTTP statuses, errno and signal numbers) kept. Pure: no I/O.

``queuectl failures`` groups dead and failed jobs by ``fingerprint(last_error, stderr)``; the
rules are listed in docs/CLI.md ("Failure groups").
"""

from __future__ import annotations

import hashlib
import re

#: A masked line longer than this is cut (a minified blob should not make a unique group).
LINE_LIMIT = 200
#: Only this much of a line is read (masking is regex work; a 1 MB line must stay cheap).
LINE_INPUT = 1000

#: A rule's precondition meaning "the text holds a digit".
DIGIT = ""
#: Each rule: pattern, replacement, and substrings one of which the text must hold for the
#: pattern to have a chance (checking them first makes masking ~2x cheaper).
_RULES: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    # uuids first: their digit runs would otherwise become numbers.
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
        ("-",),
    ),
    # URLs as a whole: the host, port and path of one endpoint vary together.
    (re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+"), "<url>", ("://",)),
    # Dates and times: 2026-01-02, 2026-01-02T03:04:05.678Z, 03:04:05, 12/31/2026.
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
            r"(?:Z|[+-]\d{2}:?\d{2})?)?\b|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"
            r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
        ),
        "<time>",
        (DIGIT,),
    ),
    # Paths: absolute, ./ ../ ~/, or relative with a file extension (but not HTTP/1.1).
    (re.compile(r"(?<![\w.<>])(?:~|\.{1,2})?/[^\s:'\",;()\[\]]*"), "<path>", ("/",)),
    (re.compile(r"\b(?!HTTP/)[\w.-]+(?:/[\w.-]+)+\.\w+\b"), "<path>", ("/",)),
    # Quoted values: 'x', "x" (a quote after a letter is an apostrophe: can't).
    (re.compile(r"(?<![A-Za-z])'[^'\n]*'"), "'<v>'", ("'",)),
    (re.compile(r'"[^"\n]*"'), '"<v>"', ('"',)),
    # Addresses: ip:port, [v6]:port, host:port.
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b"), "<addr>", (DIGIT,)),
    (re.compile(r"\[[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\](?::\d{1,5})?"), "<addr>", ("[",)),
    (re.compile(r"(?<![\w/.-])[A-Za-z][\w-]*(?:\.[\w-]+)*:\d{2,5}\b"), "<addr>", (DIGIT,)),
    # A host named after "to", "host", "resolve", "from", "connect": curl's and friends' phrasing.
    (
        re.compile(
            r"(?i)\b(to|host|resolve|from|connect)(:?\s+)(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b"
        ),
        r"\1\2<addr>",
        (".", "localhost"),
    ),
    # Hex: 0x..., and hash-like runs of 8+ hex digits holding a digit.
    (re.compile(r"\b0[xX][0-9a-fA-F]+\b"), "<hex>", ("0x", "0X")),
    (re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b"), "<hex>", (DIGIT,)),
    # Ids: long tokens mixing letters and digits (ulids, job ids, request ids).
    (re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{12,}\b"), "<id>", (DIGIT,)),
]

# Numbers that tell failures apart stay: an exit status, an HTTP status, errno, a signal.
_KEEP = (
    r"(?i:\bexit(?:ed)?(?:\s+(?:with|code|status))*\s*[:=]?\s*-?\d+"
    r"|\bnon-zero exit status\s+-?\d+"
    r"|\b(?:HTTP(?:/[\d.]+)?|status(?:\s+code)?|response(?:\s+code)?|error|code)\s*[:=]?\s*[1-5]\d\d\b"
    r"|\berrno\s*[:=]?\s*-?\d+"
    r"|\bsignal\s+\d+)"
    # "503 Service Unavailable": a status followed by its reason phrase (case matters here).
    r"|\b[1-5]\d\d\s+(?=[A-Z][a-z]+)"
)
_NUMBER = r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:[a-zA-Z%µ]{1,3})?(?![\w.])"
_NUMBERS = re.compile(f"(?P<keep>{_KEEP})|(?P<num>{_NUMBER})")
_SPACE = re.compile(r"\s+")
_ANY_DIGIT = re.compile(r"\d")


def _number(match: re.Match[str]) -> str:
    kept = match.group("keep")
    return "<n>" if kept is None else kept


def mask(line: str) -> str:
    """One line with what varies between occurrences masked (see the module's docstring)."""
    text = line.strip()[:LINE_INPUT]
    digits = _ANY_DIGIT.search(text) is not None
    for pattern, replacement, needs in _RULES:
        if any(n in text if n else digits for n in needs):
            text = pattern.sub(replacement, text)
    if digits:
        text = _NUMBERS.sub(_number, text)
    text = _SPACE.sub(" ", text)
    return text[:LINE_LIMIT]


_FAILURE_WORDS = re.compile(
    r"(?i)error|exception|fatal|fail|refused|denied|not found|no such|panic|abort|killed"
    r"|timed? ?out|cannot|can't|unable|invalid|unavailable"
)


def _is_frame(line: str) -> bool:
    """A traceback's frame or code line, or its header: where, not what, it failed."""
    return line[:1].isspace() or line.startswith("Traceback (most recent call last)")


def stderr_line(stderr: str) -> str:
    """The line of stderr that says how the command failed: of the non-blank lines that are not
    traceback frames, the last that names a failure (error, exception, failed, refused, ...),
    else the last one. A Python traceback gives its ``Type: message`` line; Node's crash its
    ``Error: ...`` line, not the ``Node.js v20.1.0`` trailer printed after it."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    said = [line for line in lines if not _is_frame(line)]
    for line in reversed(said):
        if _FAILURE_WORDS.search(line):
            return line
    return said[-1] if said else (lines[-1] if lines else "")


def pattern(error: str | None, stderr: str | None) -> str:
    """The masked shape of a failure: the error, then the stderr line, if any."""
    parts = [mask(error or "")]
    line = stderr_line(stderr or "")
    if line:
        parts.append(mask(line))
    return " | ".join(part for part in parts if part) or "(no error recorded)"


def digest(shape: str) -> str:
    """A short stable name for a pattern (12 hex digits of its SHA-1)."""
    return hashlib.sha1(shape.encode("utf-8", "replace")).hexdigest()[:12]


def fingerprint(error: str | None, stderr: str | None) -> tuple[str, str]:
    """``(fingerprint, pattern)`` of one failure."""
    shape = pattern(error, stderr)
    return digest(shape), shape
