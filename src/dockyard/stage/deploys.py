"""`invoke deploy --target stage` and `rollback.quick --target stage`: CapRover's image update, on the stage.

The job is the one a CapRover deploy would get (the service's image at a SHA from the registry);
the image must be in the registry (the stage's Swarm pulls it, as CapRover does), checked before
anything changes. The outcome is recorded in the deploy history like a CapRover deploy, with the
stage as its server (`swarm:<stage name>`), so `rollback.*` can read the stage's deploys apart.
A refused image (Swarm rolled back by itself) is recorded `failed` and raised in one line.
"""

from __future__ import annotations

from collections.abc import Callable

from dockyard.core.errors import DockyardError
from dockyard.core.project import Project
from dockyard.deploy import history
from dockyard.deploy.caprover import DeployConfig
from dockyard.deploy.deployer import Job, record
from dockyard.stage.lifecycle import require_up
from dockyard.stage.spec import server_name, stage_services, swarm_name
from dockyard.stage.update import ROLLED_BACK, Update, UpdateOutcome, run_updates


class StageRefused(DockyardError):
    """Swarm refused the image and rolled the service back."""


class StageDeployFailed(DockyardError):
    """The update did not finish (paused, or no final state in time)."""


def stage_job(project: Project, config: DeployConfig, service: str, tag: str | None, image: str | None,
              action: str = "deploy") -> Job:
    """The job for a stage service: the registry image of `tag`, or `image` as given."""
    from dockyard.deploy.deployer import tag_of, validate_tag

    roles = stage_services(project)
    if roles.get(service) not in ("web", "worker"):
        runs = ", ".join(n for n, r in roles.items() if r in ("web", "worker"))
        raise DockyardError(f"{service} is not deployed on the stage (it deploys: {runs})")
    if image:
        sha = validate_tag(tag) if tag else tag_of(image)
    elif tag:
        image, sha = config.image_for(service, validate_tag(tag)), tag
    else:
        raise DockyardError("give --tag SHA (the image tag to deploy) or --image REF")
    return Job(service, swarm_name(project.settings.stage, service), image, sha or "", action)


def deploy(
    project: Project,
    config: DeployConfig,
    jobs: list[Job],
    on_state: Callable[[str, str], None] = lambda service, state: None,
) -> list[tuple[history.Entry, UpdateOutcome]]:
    """Move each job's service to its image (together), wait for Swarm's verdict, record each."""
    require_up(project)
    settings = project.settings.stage
    server = server_name(settings)
    updates = [Update(job.app, job.image, settings.timeout) for job in jobs]
    outcomes = run_updates(updates, on_state=on_state)
    done = []
    problems = []
    for job, outcome in zip(jobs, outcomes, strict=True):
        if outcome.done:
            result, detail = history.DEPLOYED, f"Swarm: {outcome.state} in {outcome.converge_s or 0:g} s"
        elif outcome.state == ROLLED_BACK:
            result = history.FAILED
            detail = f"refused: rolled back to {outcome.after} ({outcome.message or 'a new task failed'})"
        else:
            result, detail = history.FAILED, f"Swarm: {outcome.state} ({outcome.message or 'no final state'})"
        entry = history.Entry(
            time=history.now(), service=job.service, image=job.image, sha=job.sha, result=result,
            app=job.app, action=job.action, detail=detail[:300], server=server,
        )
        record(config, entry)
        done.append((entry, outcome))
        if result == history.FAILED:
            problems.append((job, outcome, detail))
    if problems:
        job, outcome, detail = problems[0]
        kind = StageRefused if outcome.state == ROLLED_BACK else StageDeployFailed
        raise kind(f"{job.service}: {detail}")
    return done
