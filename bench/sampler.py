"""CPU and memory of everything a run starts, sampled every half second in a thread."""

from __future__ import annotations

import os
import threading
import time

import psutil


class Sampler(threading.Thread):
    """CPU% (100 = one core) and RSS of the server (all its processes, summed) and of the load
    generator's processes; with `components` ({name: function giving PIDs}: nginx, redis,
    PostgreSQL), theirs too, each summed; and the whole machine's CPU."""

    REFRESH = 10  # samples between looking up the components' PIDs again (PostgreSQL backends come and go)

    def __init__(self, server_pids: int | list[int], interval: float = 0.5, components: dict | None = None):
        super().__init__(daemon=True)
        pids = [server_pids] if isinstance(server_pids, int) else list(server_pids)
        self.servers = [psutil.Process(pid) for pid in pids]
        self.clients = [psutil.Process(os.getpid())]
        self.components = components or {}
        self._procs: dict[str, dict[int, psutil.Process]] = {name: {} for name in self.components}
        self.interval = interval
        # (t, server cpu, server rss, clients cpu, clients rss, extra); extra = {"per_server":
        # [cpu of each server process], "machine": cpu of the whole machine, name: [cpu, rss]}
        self.samples: list[tuple] = []
        self._halt = threading.Event()  # not `_stop`: Thread has a method of that name

    def add_client(self, pid: int) -> None:
        self.clients.append(psutil.Process(pid))

    def _refresh(self) -> None:
        for name, pids in self.components.items():
            try:
                now = set(pids())
            except Exception:  # noqa: BLE001 -- a component that is gone has nothing to sample
                now = set()
            known = self._procs[name]
            for pid in set(known) - now:
                del known[pid]
            for pid in now - set(known):
                try:
                    known[pid] = psutil.Process(pid)
                    known[pid].cpu_percent(None)
                except psutil.Error:
                    pass

    @staticmethod
    def _read(procs) -> list[tuple[float, int]]:
        out = []
        for proc in list(procs):
            try:
                out.append((proc.cpu_percent(None), proc.memory_info().rss))
            except psutil.Error:
                pass  # a worker that already finished, a backend that closed
        return out

    def run(self) -> None:
        for proc in [*self.servers, *self.clients]:
            proc.cpu_percent(None)
        psutil.cpu_percent(None)
        cores = psutil.cpu_count() or 1
        self._refresh()
        tick = 0
        while not self._halt.wait(self.interval):
            per_server, gone = [], 0
            for proc in self.servers:
                try:
                    per_server.append((proc.cpu_percent(None), proc.memory_info().rss))
                except psutil.Error:
                    per_server.append((0.0, 0))  # this process is gone (the others go on)
                    gone += 1
            if gone == len(self.servers):
                return  # the server is gone: the run is ending
            clients = self._read(self.clients)
            extra = {"per_server": [c for c, _ in per_server], "machine": psutil.cpu_percent(None) * cores}
            for name, known in self._procs.items():
                read = self._read(known.values())
                extra[name] = [sum(c for c, _ in read), sum(r for _, r in read)]
            self.samples.append((time.time(), sum(c for c, _ in per_server), sum(r for _, r in per_server),
                                 sum(c for c, _ in clients), sum(r for _, r in clients), extra))
            tick += 1
            if self.components and tick % self.REFRESH == 0:
                self._refresh()

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
