"""One deploy: check the image, send it to CapRover, record the result in the history.

Used by `invoke deploy` and by both rollbacks, so every deploy dockyard performs
is recorded the same way: a success as `accepted`/`deployed`, a refusal or an
unreachable server as `failed`, a request without an answer as `unknown`.
A deploy interrupted (Ctrl-C, SIGTERM, SIGHUP) after its request left is
recorded as `unknown`. Failures found before anything is sent (no token, no
image, bad tag, a history that cannot be written) are not recorded: nothing
happened.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.core import imageref
from dockyard.core.errors import ConfigError, DockyardError
from dockyard.core.imageref import parse_ref
from dockyard.core.signals import shield, signal_name, signal_number
from dockyard.deploy import caprover, history
from dockyard.deploy.registry import Registry

TAG_PATTERN = imageref.TAG


class ImageMissing(DockyardError):
    """The image to deploy is neither local nor in its registry."""


class HistoryWriteFailed(DockyardError):
    """The deploy happened but could not be recorded."""


@dataclass(frozen=True)
class Job:
    service: str
    app: str
    image: str
    sha: str
    action: str = "deploy"


@dataclass(frozen=True)
class ImageCheck:
    ref: str
    where: str  # "local" or "registry"
    detail: str  # short image id or manifest digest


def validate_tag(tag: str) -> str:
    return imageref.validate_tag(tag)


def tag_of(image: str) -> str:
    """`registry:5000/repo:abc` -> `abc`; '' when the reference has no tag."""
    return parse_ref(image).tag or ""


def prepare(
    settings: caprover.DeployConfig,
    service: str,
    tag: str | None = None,
    image: str | None = None,
    action: str = "deploy",
) -> Job:
    """The job for `invoke deploy SERVICE --tag SHA` (or `--image REF`)."""
    app = settings.app_for(service)
    if image:
        sha = validate_tag(tag) if tag else tag_of(image)
        if not sha:
            raise ConfigError(f"cannot tell the git SHA of {image}: give --tag SHA as well")
        return Job(service, app, image, sha, action)
    if not tag:
        raise ConfigError("give --tag SHA (the image tag to deploy) or --image REF")
    return Job(service, app, settings.image_for(service, validate_tag(tag)), tag, action)


def check_image(ref: str) -> ImageCheck:
    """Is `ref` present locally, or else in its registry? Asks the Engine; touches nothing."""
    from dockyard.docker import images

    if images.image_exists(ref):
        return ImageCheck(ref, "local", images.get_image(ref).short_id.removeprefix("sha256:"))
    try:
        digest = images.registry_digest(ref)
    except images.ImageError as exc:
        raise ImageMissing(
            f"image {ref} is not on this machine and its registry did not confirm it ({exc}); "
            f"build or push it, or pick another SHA"
        ) from None
    return ImageCheck(ref, "registry", digest[:19])


def check_in_registry(ref: str, registry: Registry | None) -> ImageCheck:
    """Is `ref` in its registry? For the configured registry a manifest HEAD with the four Accept
    types (the digest then is the image's RepoDigest); for another one the Engine's distribution
    endpoint (which has the logins). ImageMissing (one line) when it is not there; a local copy
    does not count: CapRover and the stage pull."""
    from dockyard.docker import images

    if registry is not None and registry.owns(ref):
        path, reference = registry.split(ref)
        digest = registry.manifest_digest(path, reference)
        if digest is None:
            raise ImageMissing(
                f"image {ref} is not in the registry {registry.host} (no manifest for {reference}): "
                f"push it (invoke push --tag {reference}) or pick another SHA"
            )
        return ImageCheck(ref, "registry", digest[:19])
    try:
        digest = images.registry_digest(ref)
    except images.ImageError as exc:
        raise ImageMissing(
            f"image {ref} is not confirmed by its registry ({exc}); push it, or pick another SHA"
        ) from None
    return ImageCheck(ref, "registry", digest[:19])


def run(
    job: Job, settings: caprover.DeployConfig, token: caprover.AppToken, wait: bool = False
) -> history.Entry:
    """Deploy `job` and record the outcome; a CapRoverError is recorded, then re-raised."""
    url = settings.require_url()
    request = caprover.deploy_request(
        url, job.app, job.image, token, caprover.git_hash_for(job.sha), detached=not wait
    )
    timeout = settings.wait_timeout if wait else settings.timeout
    check_recordable(settings)  # an attempt that could not be recorded is not made
    sent = []
    try:
        outcome = caprover.send(
            request, timeout=timeout, token=token, app=job.app, on_sent=lambda: sent.append(True)
        )
    except caprover.CapRoverError as exc:
        record(settings, entry_for(job, exc.result, str(exc), url))
        raise
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP
        if sent:  # the request left: CapRover may be deploying it
            with shield():
                record(settings, entry_for(job, history.UNKNOWN, _interrupted(exc, job), url))
        raise
    entry = entry_for(job, outcome.result, outcome.description, url)
    record(settings, entry)
    return entry


def _interrupted(exc: KeyboardInterrupt, job: Job) -> str:
    how = "Ctrl-C" if signal_number(exc) == signal.SIGINT else signal_name(signal_number(exc))
    return (
        f"interrupted ({how}) after the request was sent, before CapRover answered; "
        f"check the {job.app} app in the dashboard"
    )


def check_recordable(settings: caprover.DeployConfig) -> None:
    """Raise unless the history can take an entry (before anything is sent)."""
    try:
        history.check_writable(settings.history_path)
    except ConfigError as exc:
        raise HistoryWriteFailed(f"{exc}; nothing was deployed") from None


def entry_for(job: Job, result: str, detail: str, url: str) -> history.Entry:
    return history.Entry(
        time=history.now(),
        service=job.service,
        app=job.app,
        image=job.image,
        sha=job.sha,
        result=result,
        action=job.action,
        detail=detail[:300],
        server=caprover.safe_url(url),
    )


def record(settings: caprover.DeployConfig, entry: history.Entry) -> None:
    try:
        history.append(settings.history_path, entry)
    except ConfigError as exc:
        raise HistoryWriteFailed(
            f"{entry.service}: CapRover said {entry.result}, but {exc}; record it by hand"
        ) from None
    except OSError as exc:
        raise HistoryWriteFailed(
            f"{entry.service}: CapRover said {entry.result}, but the history "
            f"{settings.history_path} could not be written ({exc.strerror or exc}); "
            f"record it by hand"
        ) from None


@dataclass(frozen=True)
class Prepared:
    """A job whose app, token and image were all checked: ready to send."""

    job: Job
    token: caprover.AppToken
    image: ImageCheck


def preflight(
    jobs: list[Job],
    settings: caprover.DeployConfig,
    check_images: bool = True,
    image_check: Callable[[str], ImageCheck] = check_image,
) -> list[Prepared]:
    """Check everything a deploy needs before touching anything: URL, app names, tokens, images."""
    settings.require_url()
    tokens = {job.service: settings.token_for(job.service) for job in jobs}
    prepared = []
    for job in jobs:
        image = image_check(job.image) if check_images else ImageCheck(job.image, "unchecked", "")
        prepared.append(Prepared(job, tokens[job.service], image))
    return prepared


def run_all(
    prepared: list[Prepared],
    settings: caprover.DeployConfig,
    wait: bool = False,
    on_done=lambda entry: None,
) -> list[history.Entry]:  # noqa: ANN001
    """Deploy one after the other; stop at the first failure (it is recorded, then raised)."""
    done = []
    for item in prepared:
        try:
            entry = run(item.job, settings, item.token, wait=wait)
        except DockyardError as exc:
            if done:
                finished = ", ".join(f"{e.service} -> {e.sha[:12]}" for e in done)
                raise type(exc)(
                    f"{exc} (already done: {finished}; not attempted: "
                    f"{', '.join(p.job.service for p in prepared[len(done) + 1 :]) or 'none'})"
                ) from None
            raise
        done.append(entry)
        on_done(entry)
    return done
