"""Work in a forked process that the test can SIGKILL, reporting progress one line at a time.

A fork starts in milliseconds with every module already imported, so a test can kill dozens of
workers in the time one fresh interpreter takes to start. The child opens its own store (its own
connections): the parent disposes its engines before forking so no connection is shared.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
import traceback
from collections.abc import Callable

from submissions.store import Store


class Report:
    """The child's end of the pipe: `line(text)` sends one line (atomically: lines are short)."""

    def __init__(self, descriptor: int):
        self.descriptor = descriptor

    def line(self, text: str) -> None:
        data = (text.replace("\n", " ") + "\n").encode()
        os.write(self.descriptor, data[:4000])


class Child:
    """`target(report, *args)` running in a forked process.

    Lines the child reports are read with `expect` (wait for a line starting with a word) and
    `rest` (everything up to the child's end). A child that raises reports `error <traceback>`.
    """

    def __init__(self, target: Callable[..., object], *args: object, before_fork: tuple[Store, ...] = ()):
        for store in before_fork:
            store.db.engine.dispose()  # no pooled connection may be used on both sides of the fork
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child never returns into the test runner
            code = 0
            try:
                os.close(read_end)
                target(Report(write_end), *args)
            except BaseException:
                code = 1
                with contextlib.suppress(BaseException):
                    Report(write_end).line("error " + traceback.format_exc().replace("\n", " | "))
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid = pid
        self._fd = read_end
        self._buffer = b""
        self._eof = False
        self.lines: list[str] = []
        self.status: int | None = None

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if ready:
            chunk = os.read(self._fd, 65536)
            self._eof = not chunk
            self._buffer += chunk

    def _next_line(self, deadline: float) -> str | None:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if self._eof or remaining <= 0:
                return None
            self._read(remaining)
        line, self._buffer = self._buffer.split(b"\n", 1)
        text = line.decode()
        self.lines.append(text)
        return text

    def expect(self, word: str, timeout: float = 60.0) -> str:
        """The next line, which must start with `word`."""
        line = self._next_line(time.monotonic() + timeout)
        assert line is not None and line.startswith(word), f"the child said {line!r}, not {word!r}: {self.lines}"
        return line

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self.wait()

    def wait(self, timeout: float = 120.0) -> int:
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                return status
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                raise AssertionError(f"the child did not end within {timeout} s: {self.lines}")
            time.sleep(0.01)

    def rest(self, timeout: float = 10.0) -> list[str]:
        """Every line not read yet, up to the end of the child's output."""
        deadline = time.monotonic() + timeout
        found = []
        while (line := self._next_line(deadline)) is not None:
            found.append(line)
        if self._buffer:  # a line cut short by the kill
            found.append(self._buffer.decode(errors="replace"))
            self._buffer = b""
        os.close(self._fd)
        return found

    def finish(self, timeout: float = 120.0) -> list[str]:
        """Let the child run to its end; returns its remaining lines and fails on a reported error."""
        self.wait(timeout)
        lines = self.rest()
        errors = [line for line in lines if line.startswith("error")]
        assert not errors, errors
        assert os.WIFEXITED(self.status) and os.WEXITSTATUS(self.status) == 0, (self.status, lines)
        return lines
