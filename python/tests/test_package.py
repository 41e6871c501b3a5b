"""The package itself: generated code up to date, help() text, the progress display."""
import importlib.util
import io
import pydoc
from pathlib import Path

import ptune
from ptune import progress
from ptune.v1 import events_pb2

TOOLS = Path(__file__).resolve().parents[1] / "tools" / "generate_protos.py"


def test_generated_code_matches_the_protos():
    spec = importlib.util.spec_from_file_location("generate_protos", TOOLS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.stale_files() == [], "run python/tools/generate_protos.py"


def test_help_documents_every_public_call():
    text = pydoc.render_doc(ptune.Client, renderer=pydoc.plaintext)
    for name in ("submit", "get", "list", "cancel", "watch", "wait", "download", "metrics",
                 "workers"):
        method = getattr(ptune.Client, name)
        assert method.__doc__ and len(method.__doc__.strip()) > 40, name
        assert f"{name}(self" in text, name
    generated = {"Job", "JobSpec", "WorkerInfo"}  # protobuf classes carry no docstrings
    for name in set(ptune.__all__) - generated:
        assert getattr(ptune, name).__doc__, name


def _step(seq: int, step: int, total: int) -> ptune.Step:
    event = events_pb2.JobEvent(job_id="0123456789", seq=seq)
    event.step.step, event.step.total_steps, event.step.loss = step, total, 0.5
    return ptune.events.from_proto(event)


def test_progress_as_plain_text_without_tqdm():
    out = io.StringIO()
    bar = progress.Progress("0123456789", stream=out, use_tqdm=False)
    for i in range(1, 5):
        bar.update(_step(i, i, 4))
    bar.close()
    assert "4/4 100%" in bar.last_line and "loss 0.5000" in bar.last_line
    assert out.getvalue().count("\r") == 4 and out.getvalue().endswith("\n")


def test_progress_with_tqdm():
    out = io.StringIO()
    bar = progress.Progress("0123456789", stream=out, use_tqdm=True)
    for i in range(1, 5):
        bar.update(_step(i, i, 4))
    bar.close()
    assert "4/4" in out.getvalue() and "loss 0.5000" in out.getvalue()


def test_progress_is_off_outside_notebooks():
    assert not progress.in_notebook()
