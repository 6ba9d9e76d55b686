"""RSS sampling of a process tree in a background thread, for the peak memory of a stage or step."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil

SAMPLE_EVERY_S = 0.05


@dataclass
class MemorySampler:
    """Samples the RSS of a process and all its descendants in a background thread."""

    pid: int
    samples: list[tuple[float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _tree_rss(self, root: psutil.Process) -> float:
        """Summed RSS (MiB) of the process tree: pool workers' shared pages count twice."""
        total = 0
        for process in [root, *root.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        return total / 2**20

    def _loop(self) -> None:
        """Sample until stopped or the process is gone."""
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                self.samples.append((time.time(), self._tree_rss(root)))
            except psutil.Error:
                return
            self._stop.wait(SAMPLE_EVERY_S)

    def start(self) -> None:
        """Start sampling."""
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop.set()
        if self._thread:
            self._thread.join()

    def peak(self, start: float = 0.0, end: float = float("inf")) -> float:
        """Highest sample in [start, end] (0 when none)."""
        return max((rss for t, rss in self.samples if start <= t <= end), default=0.0)
