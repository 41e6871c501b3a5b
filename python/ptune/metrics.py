"""A job's training series, gathered from its events: :meth:`ptune.Client.metrics`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List

from ptune import events

# Column lists of each series, in order.
LOSS_COLUMNS = ["step", "loss", "task_loss", "tsloss", "batch_accuracy", "grad_norm",
                "tokens_per_second"]
TOPOLOGY_COLUMNS = ["step", "h0_bars", "h1_bars", "h0_total_persistence",
                    "h1_total_persistence", "betti0_at_scale", "betti1_at_scale"]


@dataclass
class Metrics:
    """The loss, evaluation and topology series of one job as plain lists.

    Each series is a dict of equally long column lists, e.g. ``metrics.loss["loss"][i]``
    is the loss at step ``metrics.loss["step"][i]``. ``eval`` has the columns ``step``,
    ``split`` and one per metric name (``None`` where an evaluation lacks it).
    :meth:`dataframe` gives the same as a pandas DataFrame when pandas is installed.
    """

    job_id: str
    loss: Dict[str, List[Any]] = field(default_factory=lambda: _columns(LOSS_COLUMNS))
    eval: Dict[str, List[Any]] = field(default_factory=lambda: _columns(["step", "split"]))
    topology: Dict[str, List[Any]] = field(default_factory=lambda: _columns(TOPOLOGY_COLUMNS))

    def add(self, event: events.Event) -> None:
        """Appends what `event` contributes (steps, evaluations, topology) to the series."""
        if isinstance(event, events.Step):
            _append(self.loss, {c: getattr(event, c) for c in LOSS_COLUMNS})
        elif isinstance(event, events.Topology):
            _append(self.topology, {c: getattr(event, c) for c in TOPOLOGY_COLUMNS})
        elif isinstance(event, events.Eval):
            _append(self.eval, {"step": event.step, "split": event.split, **event.metrics})

    def dataframe(self, series: str = "loss") -> Any:
        """The series ``"loss"``, ``"eval"`` or ``"topology"`` as a ``pandas.DataFrame``.

        Raises ImportError (with how to install it) when pandas is not installed.
        """
        if series not in ("loss", "eval", "topology"):
            raise ValueError(f'series must be "loss", "eval" or "topology" (got {series!r})')
        try:
            import pandas
        except ImportError as e:
            raise ImportError("Metrics.dataframe needs pandas (Debian: apt install "
                              "python3-pandas); the plain lists are in Metrics."
                              f"{series}") from e
        return pandas.DataFrame(getattr(self, series))


def collect(job_id: str, stream: Iterable[events.Event]) -> Metrics:
    """Metrics built from every event of `stream`."""
    metrics = Metrics(job_id)
    for event in stream:
        metrics.add(event)
    return metrics


def _columns(names: List[str]) -> Dict[str, List[Any]]:
    return {name: [] for name in names}


def _append(columns: Dict[str, List[Any]], row: Dict[str, Any]) -> None:
    """Adds one row; a column seen for the first time is back-filled with None."""
    length = len(next(iter(columns.values()))) if columns else 0
    for name in row:
        if name not in columns:
            columns[name] = [None] * length
    for name, values in columns.items():
        values.append(row.get(name))
