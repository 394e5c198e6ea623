"""`invoke stage.up` / `stage.down` / `stage.status`: the stage's Swarm services and proxy, made and removed.

Up, in order (docs/stage.md): the web and worker images pushed to the registry (the stage pulls
them from there, as CapRover does); the swarm initialised on loopback if this node has none
(recorded, so that only then `stage.down` leaves it); an attachable overlay network; the
database and the broker, each waited for (a service's name resolves only once a task is
healthy); web with one task, which applies the migrations alone, then scaled; the workers; the
proxy as a plain container on the overlay network, published on 127.0.0.1 only (a Swarm port in
host mode would bind every address); then a request through the proxy. A failure on the way
takes down what was made and says what failed in one line.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.build.base_images import DEBIAN_IMAGE, LOCAL_IMAGES, build_local_image
from dockyard.core.errors import DockyardError
from dockyard.core.project import Project
from dockyard.deploy import history
from dockyard.deploy import push as pushing
from dockyard.deploy.history import now
from dockyard.deploy.registry import Registry
from dockyard.docker import swarm
from dockyard.docker.client import client
from dockyard.docker.containers import (
    cleanup_shield,
    current_run_id,
    force_remove,
    host_port,
    list_containers,
    run_container,
)
from dockyard.docker.images import image_exists
from dockyard.runtime.http import http_get
from dockyard.runtime.site import load_site
from dockyard.stage import state as stage_state
from dockyard.stage.spec import ROLE_LABEL, STAGE_LABEL, StagePlan, plan_stage, server_name, stage_services

PROXY_CONTAINER_PORT = "80/tcp"  # where the proxy image (CapRover's nginx stand-in) listens
INFRA_KINDS = {"database": "postgres", "broker": "redis"}  # the stage's infra roles -> runtime.helpers' kinds


class StageError(DockyardError):
    """The stage could not be brought up, found, or taken down."""


@dataclass
class ServiceStatus:
    service: str
    role: str
    swarm_name: str
    image: str
    running: int
    wanted: int
    update: str | None  # the last UpdateStatus.State

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class StageStatus:
    name: str
    up: bool
    url: str
    swarm_initialised: bool
    services: list[ServiceStatus] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "services"},
                "services": [s.to_dict() for s in self.services]}


def app_images(project: Project, registry: Registry, tag: str) -> dict[str, str]:
    """The registry references of the web and worker services for `tag`."""
    roles = stage_services(project)
    return {
        name: registry.ref(project.settings.services[name].image or "", tag)
        for name, role in roles.items()
        if role in ("web", "worker")
    }


def infra_images(project: Project, log: Callable[[str], None]) -> dict[str, str]:
    """The database's and broker's images, as every task picks them ([tool.dockyard.test], else the
    compose file's): upstream when present or pullable, else the local stand-ins."""
    site = load_site(project)
    return {
        name: site.helper_image(INFRA_KINDS[role], log=log)
        for name, role in stage_services(project).items()
        if role in INFRA_KINDS
    }


def up(
    project: Project,
    registry: Registry,
    tag: str,
    commit_sha: str | None,
    port: int | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> stage_state.StageState:
    """Bring the stage up with the images of `tag` (pushed first); its state (proxy URL, images)."""
    settings = project.settings.stage
    if _labelled_services(settings.name):
        raise StageError(f"the stage {settings.name} is already up (invoke stage.status; stage.down to remove it)")
    stale = stage_state.load(project)  # a stage.up that was killed: its swarm is still ours to leave
    apps = app_images(project, registry, tag)
    services = [s for s in stage_services(project) if s in apps]
    jobs = pushing.plan(project, registry, services, tag, commit_sha)
    log(f"pushing {', '.join(services)} as {tag} to {registry.host}")
    pushing.push_all(jobs, registry)
    images = {**apps, **infra_images(project, log)}
    plan = plan_stage(project, images, port=port)
    ensure_proxy_image(plan.proxy.image, log=log)

    initialised = bool(stale and stale.swarm_initialised and swarm.node_state() == "active")
    if swarm.node_state() != "active":
        log("docker swarm init --advertise-addr 127.0.0.1")
        swarm.init()
        initialised = True
    state = stage_state.StageState(settings.name, initialised, current_run_id(), images=images, started=now())
    stage_state.save(project, state)
    try:
        _create(plan, settings.timeout, log)
        state.port = _start_proxy(plan, settings.timeout, settings.probe_path, log)
    except BaseException:
        log("taking down what was made")
        with cleanup_shield(), contextlib.suppress(DockyardError):
            down(project, log=log)
        raise
    stage_state.save(project, state)
    _record(project, plan, apps, tag)
    return state


def _record(project: Project, plan: StagePlan, apps: dict[str, str], tag: str) -> None:
    """The images stage.up started with, as the stage's first deploys (a rollback's floor)."""
    path = project.root / project.settings.caprover.history_file
    for service, image in apps.items():
        history.append(
            path,
            history.Entry(
                time=now(), service=service, image=image, sha=tag, result=history.DEPLOYED,
                app=plan.swarm_name(service), action="deploy", detail="stage.up",
                server=server_name(project.settings.stage),
            ),
        )


def _create(plan: StagePlan, timeout: float, log: Callable[[str], None]) -> None:
    swarm.create_overlay(plan.network, plan.labels)
    for role in ("database", "broker"):
        for item in plan.by_role(role):
            log(f"{item.service}: {item.spec.image}")
            swarm.create_service(item.spec)
    for role in ("database", "broker"):
        for item in plan.by_role(role):
            wait_running(item.spec.name, 1, timeout)
    web = plan.web
    log(f"{web.service}: {web.spec.image} (one task applies the migrations, then {web.final_replicas})")
    swarm.create_service(web.spec)
    wait_running(web.spec.name, 1, timeout)
    if web.final_replicas > 1:
        swarm.scale(web.spec.name, web.final_replicas)
    for item in plan.by_role("worker"):
        log(f"{item.service}: {item.spec.image}")
        swarm.create_service(item.spec)
    wait_running(web.spec.name, web.final_replicas, timeout)
    for item in plan.by_role("worker"):
        wait_running(item.spec.name, 1, timeout)


def _start_proxy(plan: StagePlan, timeout: float, probe_path: str, log: Callable[[str], None]) -> int:
    proxy = plan.proxy
    log(f"proxy: {proxy.image} on 127.0.0.1 -> {proxy.upstream}")
    container = run_container(
        proxy.image,
        name=proxy.name,
        network=plan.network,
        environment={"PROXY_UPSTREAM": proxy.upstream},
        ports={PROXY_CONTAINER_PORT: proxy.port or None},
        labels=proxy.labels,
    )
    port = host_port(container, PROXY_CONTAINER_PORT)
    deadline = time.monotonic() + timeout
    status, body = None, ""
    while time.monotonic() < deadline:
        status, body = http_get(f"http://127.0.0.1:{port}{probe_path}", timeout=5)
        if status == 200:
            return port
        time.sleep(1)
    raise StageError(
        f"the proxy on 127.0.0.1:{port} did not answer {probe_path} with 200 in {timeout:g} s (got {status})"
    )


def ensure_proxy_image(tag: str, log: Callable[[str], None] = lambda message: None) -> None:
    """The proxy image: present, or built now when it is dockyard's own stand-in (base.bootstrap's)."""
    if image_exists(tag):
        return
    known = next((image for image in LOCAL_IMAGES if image.tag == tag), None)
    if known is None:
        raise StageError(f"proxy image {tag} is not on this machine: build or pull it")
    if not image_exists(DEBIAN_IMAGE):
        raise StageError(f"{tag} is built from {DEBIAN_IMAGE}, which is missing: run invoke base.bootstrap")
    build_local_image(known, log=log)  # under the build lock


def wait_running(name: str, wanted: int, timeout: float) -> None:
    """Until `wanted` tasks of the service run (healthy, for an image with a health check)."""
    deadline = time.monotonic() + timeout
    tasks: list[dict] = []
    while time.monotonic() < deadline:
        tasks = swarm.running_tasks(name)
        if sum(t["state"] == "running" for t in tasks) >= wanted:
            return
        time.sleep(0.5)
    states = ", ".join(sorted({t["state"] for t in tasks})) or "no task"
    errors = "; ".join(sorted({t["error"] for t in tasks if t["error"]}))
    detail = f": {errors}" if errors else ""
    raise StageError(f"{name}: fewer than {wanted} task(s) running after {timeout:g} s ({states}){detail}")


def _labelled_services(name: str) -> list:
    return swarm.services(f"{STAGE_LABEL}={name}")


def down(project: Project, log: Callable[[str], None] = lambda message: None) -> list[str]:
    """Remove the stage's proxy, services and network; leave the swarm if stage.up initialised it.
    Returns what it did, one line each."""
    settings = project.settings.stage
    recorded = stage_state.load(project)
    label = f"{STAGE_LABEL}={settings.name}"
    done = []
    for container in list_containers(label, all=True):
        if container.labels.get(ROLE_LABEL) == "proxy" and force_remove(container):
            done.append(f"removed the proxy container {container.name}")
    services = _labelled_services(settings.name)
    names = [s.name for s in services]
    for name in names:
        swarm.remove_service(name)
    if names:
        done.append(f"removed services {', '.join(names)}")
        if not swarm.wait_containers_gone(names, timeout=60):
            log("some task containers are still stopping")
    removed = swarm.remove_networks(label)
    if removed:
        done.append(f"removed network {', '.join(removed)}")
    if recorded is not None and recorded.swarm_initialised and swarm.node_state() == "active":
        others = [s.name for s in client().services.list()]
        if others:
            done.append(f"kept the swarm: services not of this stage run in it ({', '.join(others[:3])})")
        else:
            swarm.leave()
            done.append("left the swarm (stage.up had initialised it)")
    elif recorded is None and swarm.node_state() == "active":
        done.append("kept the swarm: no record says stage.up initialised it")
    stage_state.forget(project)
    return done


def status(project: Project) -> StageStatus:
    settings = project.settings.stage
    recorded = stage_state.load(project)
    found = _labelled_services(settings.name)
    result = StageStatus(
        name=settings.name,
        up=bool(found),
        url=recorded.url if recorded else "",
        swarm_initialised=bool(recorded and recorded.swarm_initialised),
    )
    for service in sorted(found, key=lambda s: s.name):
        labels = service.attrs["Spec"].get("Labels") or {}
        mode = service.attrs["Spec"].get("Mode", {}).get("Replicated", {})
        tasks = swarm.running_tasks(service.name)
        result.services.append(
            ServiceStatus(
                service=service.name.removeprefix(f"{settings.name}-"),
                role=labels.get(ROLE_LABEL, "?"),
                swarm_name=service.name,
                image=str(service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]),
                running=sum(t["state"] == "running" for t in tasks),
                wanted=int(mode.get("Replicas") or 0),
                update=(service.attrs.get("UpdateStatus") or {}).get("State"),
            )
        )
    return result


def require_up(project: Project) -> stage_state.StageState:
    recorded = stage_state.load(project)
    if recorded is None or not _labelled_services(project.settings.stage.name):
        raise StageError(f"the stage {project.settings.stage.name} is not up: invoke stage.up")
    return recorded


def current_images(project: Project) -> dict[str, str]:
    """service -> the image its Swarm service runs now (web and workers)."""
    plan_names = {name: role for name, role in stage_services(project).items() if role in ("web", "worker")}
    return {name: swarm.image_of(f"{project.settings.stage.name}-{name}") for name in plan_names}
