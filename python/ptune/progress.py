"""The progress display of :meth:`ptune.Client.watch`: tqdm when installed, else text.

By default it is on only inside a Jupyter/IPython kernel (a notebook), so scripts and
pipelines print nothing unless they ask (``progress=True``).
"""
from __future__ import annotations

import sys
from typing import Any, Optional, TextIO

from ptune import events


def in_notebook() -> bool:
    """True when running inside an IPython kernel (Jupyter, VS Code notebooks, ...)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()  # type: ignore[attr-defined]
    except AttributeError:
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class Progress:
    """Shows a job's steps as a bar: ``tqdm.auto`` when importable (a widget in
    notebooks), otherwise one text line rewritten in place on `stream`."""

    def __init__(self, job_id: str, stream: Optional[TextIO] = None,
                 use_tqdm: Optional[bool] = None) -> None:
        self._job_id = job_id
        self._stream = stream if stream is not None else sys.stderr
        self._bar: Any = None
        self._text_started = False
        self._tqdm: Any = None
        if use_tqdm is not False:
            try:
                from tqdm.auto import tqdm
                self._tqdm = tqdm
            except ImportError:
                if use_tqdm:
                    raise
        self.last_line = ""

    def update(self, event: events.Event) -> None:
        """Reflects `event` (steps move the bar; state changes are noted)."""
        if isinstance(event, events.Step):
            self._step(event)
        elif isinstance(event, events.StateChanged):
            self._note(f"{event.to_state.name}" + (f": {event.reason}" if event.reason else ""))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._text_started:
            self._stream.write("\n")
            self._stream.flush()
            self._text_started = False

    def _step(self, step: events.Step) -> None:
        postfix = f"loss {step.loss:.4f}"
        if self._tqdm is not None:
            if self._bar is None:
                self._bar = self._tqdm(total=step.total_steps or None, unit="step",
                                       desc=f"job {self._job_id[:8]}", file=self._stream)
            self._bar.n = step.step
            self._bar.set_postfix_str(postfix, refresh=False)
            self._bar.refresh()
            return
        total = step.total_steps
        percent = f" {100 * step.step // total:3d}%" if total else ""
        width = 30
        filled = width * step.step // total if total else 0
        bar = f"[{'#' * filled}{'.' * (width - filled)}]" if total else ""
        self.last_line = (f"job {self._job_id[:8]} {bar} {step.step}/{total or '?'}"
                          f"{percent}  {postfix}")
        self._stream.write("\r" + self.last_line)
        self._stream.flush()
        self._text_started = True

    def _note(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_description_str(f"job {self._job_id[:8]} {text[:40]}")
            return
        if self._text_started:
            self._stream.write("\n")
            self._text_started = False
        self.last_line = f"job {self._job_id[:8]} {text}"
        self._stream.write(self.last_line + "\n")
        self._stream.flush()
