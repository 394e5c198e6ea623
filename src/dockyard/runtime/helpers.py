"""postgres and redis for the site's containers that dockyard starts on its own (test.web,
test.celery, the image checks, bench), and the environment that points the site at them.

The site's environment comes from `[tool.dockyard.environment]` and its services' tables, under
the project's own variable names; its values may hold placeholders (core.settings.PLACEHOLDERS)
such as `{database_url}`, `{broker_url}` or `{postgres_host}`. A placeholder of the database
starts a postgres, one of the broker a redis, each once per `Helpers`, on a network of the run;
`{secret_key}` is a random value that lives as long as the run. Everything carries the run's
label, and `close()` (or the run's `remove_labelled`) takes it away.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dockyard.core.errors import DockyardError
from dockyard.core.settings import fill, needs_of
from dockyard.docker import containers
from dockyard.docker.client import Container
from dockyard.docker.containers import RUN_LABEL, current_run_id
from dockyard.runtime.health import wait_healthy

READY_SECONDS = 60
DATABASE = {"postgres_db": "dockyard", "postgres_user": "dockyard", "postgres_port": "5432"}


@dataclass
class Helper:
    kind: str  # postgres | redis
    name: str  # container name, also its host name on the run's network
    container: Container
    values: dict[str, str]  # the placeholders it fills


class Helpers:
    """postgres/redis started on demand, once each, on one labelled network."""

    def __init__(
        self,
        images: Mapping[str, str] | Callable[[str], str],
        run_id: str | None = None,
        prefix: str = "dockyard",
    ) -> None:
        # "postgres"/"redis" -> the image to run (a function: chosen only when one is needed)
        self._image_for = images if callable(images) else dict(images).__getitem__
        self.images: dict[str, str] = {}
        self.run_id = run_id or current_run_id()
        self.prefix = prefix
        self._stack = contextlib.ExitStack()
        self._network: str | None = None
        self._helpers: dict[str, Helper] = {}
        self._databases: dict[str, dict[str, str]] = {}  # own database name -> the values pointing at it
        self._secret = secrets.token_urlsafe(40)  # never printed; handed to the site's containers only
        self.kept = False  # set before the first start: left running on purpose (--keep), never reaped

    @property
    def network(self) -> str:
        if self._network is None:
            net = self._stack.enter_context(
                containers.temporary_network(
                    f"{self.prefix}-net-{self.run_id}-{uuid.uuid4().hex[:4]}",
                    labels={RUN_LABEL: self.run_id},
                    kept=self.kept,
                )
            )
            self._network = net.name
        return self._network

    @property
    def started(self) -> list[str]:
        return [h.name for h in self._helpers.values()]

    def network_for(self, template: Mapping[str, str]) -> str | None:
        """The network a container with `template`'s environment joins (None: it needs no helper)."""
        return self.network if self.needs(template) and self._helpers else None

    def needs(self, template: Mapping[str, str]) -> list[str]:
        """The helpers `template`'s placeholders need, in the order they start: postgres, redis."""
        needed = needs_of(template)
        return [kind for kind in ("postgres", "redis") if kind in needed]

    def environment(
        self, template: Mapping[str, str], also: tuple[str, ...] = (), database: str | None = None
    ) -> dict[str, str]:
        """`template` filled: the helpers it names (and those in `also`) started and healthy first.
        With `database`, the database placeholders name a database of that name of its own on the
        postgres (made once): containers that migrate at start, side by side, never race."""
        self.start([*self.needs(template), *also])
        values = {"secret_key": self._secret}
        for helper in self._helpers.values():
            values.update(helper.values)
        if database is not None and "postgres" in self._helpers:
            values.update(self._own_database(database))
        return {key: fill(value, values) for key, value in template.items()}

    def _own_database(self, name: str) -> dict[str, str]:
        if name not in self._databases:
            helper = self._helpers["postgres"]
            db = re.sub(r"[^a-z0-9_]", "_", name.lower())[:48] or "site"
            user, password = DATABASE["postgres_user"], helper.values["postgres_password"]
            code, output = containers.exec_text(helper.container, ["createdb", "--username", user, db])
            if code != 0:
                raise DockyardError(f"could not create database {db} on {helper.name}: {output.strip()[:200]}")
            url = f"postgres://{user}:{password}@{helper.name}:5432/{db}"
            self._databases[name] = {"database_url": url, "postgres_db": db}
        return self._databases[name]

    def start(self, kinds: list[str]) -> None:
        """Start what `kinds` lists (all at once), then wait until each is healthy."""
        wanted = [k for k in dict.fromkeys(kinds) if k not in self._helpers]
        started = [self._start(kind) for kind in wanted]
        for helper in started:
            outcome = wait_healthy(helper.container, READY_SECONDS)
            if not outcome.ok and outcome.status != "none":
                raise DockyardError(
                    f"the {helper.kind} dockyard started ({self.images[helper.kind]}) did not become healthy: "
                    f"{outcome.reason}"
                )
            self._helpers[helper.kind] = helper

    def _start(self, kind: str) -> Helper:
        if kind not in self.images:
            try:
                self.images[kind] = self._image_for(kind)
            except KeyError:
                raise DockyardError(f"no image for the {kind} dockyard would start") from None
        name = f"{self.prefix}-{kind}-{self.run_id}-{uuid.uuid4().hex[:4]}"
        if kind == "redis":
            env: dict[str, str] = {}
            url = f"redis://{name}:6379/0"
            values = {"broker_url": url, "redis_url": url, "redis_host": name, "redis_port": "6379"}
        else:
            password = secrets.token_hex(12)
            env = {
                "POSTGRES_USER": DATABASE["postgres_user"],
                "POSTGRES_PASSWORD": password,
                "POSTGRES_DB": DATABASE["postgres_db"],
            }
            url = f"postgres://{DATABASE['postgres_user']}:{password}@{name}:5432/{DATABASE['postgres_db']}"
            values = {"database_url": url, "postgres_host": name, "postgres_password": password, **DATABASE}
        container = containers.run_container(
            self.images[kind],
            name=name,
            environment=env,
            network=self.network,
            labels={RUN_LABEL: self.run_id},
            kept=self.kept,
        )
        self._stack.callback(containers.remove_quietly, container)
        return Helper(kind=kind, name=name, container=container, values=values)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Helpers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
