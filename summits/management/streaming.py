"""What long commands share: a JSON array read one element at a time, and progress bars that
stay silent when nobody is watching."""

import codecs
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from tqdm import tqdm

# Bytes read at a time; an element longer than this is read in growing chunks.
CHUNK = 1 << 16
# A truncated token (a number, `true`, an escape) is shorter than this: a decoding error this
# close to the end of what was read may only mean that the rest is not read yet.
_TOKEN_TAIL = 64
_SPACE = " \t\r\n"


class NotAnArray(ValueError):
    """The text, JSON or not, does not start as an array."""


class NotJSON(ValueError):
    """The text stops being JSON somewhere: the message says what was expected, and where."""


def progress_bar(stream: IO[str] | None = None, **options: Any) -> tqdm:
    """A tqdm bar on `stream` (standard error by default), shown only when it is a terminal."""
    return tqdm(file=stream or sys.stderr, disable=None, dynamic_ncols=True, **options)


def json_array_items(stream: IO[bytes], chunk_size: int = CHUNK) -> Iterator[Any]:
    """The elements of the JSON array in `stream` (UTF-8), one at a time, as `json.loads`
    would give them, holding in memory only the element being read.

    Raises `NotAnArray` when the text does not start with `[`, and `NotJSON` where it stops
    being JSON, with the line and column in the whole text.
    """
    reader = _Reader(stream, chunk_size)
    if reader.next_char() != "[":
        if reader.next_char() == "":
            reader.fail("Expecting value")
        raise NotAnArray("The file must hold a JSON array of rows.")
    reader.at += 1
    if reader.next_char() == "]":
        reader.at += 1
    else:
        while True:
            yield reader.value()
            separator = reader.next_char()
            reader.at += 1
            if separator == "]":
                break
            if separator != ",":
                reader.at -= 1
                reader.fail("Expecting ',' delimiter")
    if reader.next_char() != "":
        reader.fail("Extra data")


class _Reader:
    """Decoded text of a byte stream, read as far as the element being parsed needs."""

    def __init__(self, stream: IO[bytes], chunk_size: int) -> None:
        self.stream = stream
        self.chunk_size = chunk_size
        self.text = codecs.getincrementaldecoder("utf-8-sig")()
        self.decoder = json.JSONDecoder()
        self.buffer = ""
        self.at = 0
        self.eof = False
        # Where the buffer starts in the whole text, for error positions.
        self.line = 1
        self.column = 1

    def fill(self, at_least: int = 0) -> None:
        """Drop what is parsed, then read the next chunk (at least `at_least` bytes)."""
        done = self.buffer[: self.at]
        newlines = done.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(done) - done.rindex("\n")
        else:
            self.column += len(done)
        chunk = self.stream.read(max(self.chunk_size, at_least))
        self.eof = not chunk
        self.buffer = self.buffer[self.at :] + self.text.decode(chunk, final=self.eof)
        self.at = 0

    def next_char(self) -> str:
        """The next character that is not white space ("" at the end), not consumed."""
        while True:
            while self.at < len(self.buffer) and self.buffer[self.at] in _SPACE:
                self.at += 1
            if self.at < len(self.buffer) or self.eof:
                return self.buffer[self.at : self.at + 1]
            self.fill()

    def value(self) -> Any:
        """The JSON value that starts at the next non-space character, consumed."""
        self.next_char()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.at)
            except json.JSONDecodeError as error:
                truncated = error.msg.startswith("Unterminated string") or (
                    error.pos >= len(self.buffer) - _TOKEN_TAIL
                )
                if self.eof or not truncated:
                    self.fail(error.msg, error.pos)
            else:
                # A number near the end of what is read may go on in the next chunk ("1.5e3"
                # read as "1.5"); every other value ends with its own closing character.
                is_number = self.buffer[self.at] in "-0123456789"
                if self.eof or not is_number or end + _TOKEN_TAIL < len(self.buffer):
                    self.at = end
                    return value
            # Grow the read with the element, so a long one is not parsed again and again.
            self.fill(at_least=len(self.buffer) - self.at)

    def fail(self, message: str, position: int | None = None) -> None:
        position = self.at if position is None else position
        before = self.buffer[:position]
        newlines = before.count("\n")
        line = self.line + newlines
        column = position - before.rindex("\n") if newlines else self.column + position
        raise NotJSON(f"{message}: line {line} column {column}")
