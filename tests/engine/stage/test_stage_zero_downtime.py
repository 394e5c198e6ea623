"""The stage drops nothing: a deploy and a rollback with at least 500 requests each and none failed,
both broken images refused and rolled back by Swarm (with no failed request either), and the
worker's stop-first updates neither doubling nor losing a periodic run. Then the same moves from
the command line: `deploy --target stage`, `rollback.quick --target stage`, and a refused deploy."""

from __future__ import annotations

import json

from support.dockyard_cli import clean_env, invoke

from dockyard.docker import swarm
from dockyard.stage import variants, zero_downtime
from dockyard.stage.spec import swarm_name

MIN_REQUESTS = 500


def test_deploy_rollback_and_broken_images_drop_no_request(stage):
    report = zero_downtime.run(stage.project, stage.registry, min_requests=MIN_REQUESTS)
    figures = report.to_dict()
    print(json.dumps({"steps": [{k: s[k] for k in ("name", "outcome", "requests", "failed", "p50_ms", "p99_ms",
                                                    "converge_s")} for s in figures["steps"]],
                      "heartbeat": figures["heartbeat"]}, indent=1))
    names = [step.name for step in report.steps]
    assert names == ["deploy", "rollback", "broken: exits at start", "broken: never healthy"]
    for step in report.steps:
        assert step.load.failed == 0, (step.name, step.load.first_failures)
        assert step.load.requests >= MIN_REQUESTS, step.name
        assert step.ok, (step.name, step.problem)
    deploy, rollback, exits, unhealthy = report.steps
    assert all(u.state == "completed" for u in deploy.updates + rollback.updates)
    assert {u.service for u in deploy.updates} == {swarm_name(stage.project.settings.stage, s)
                                                  for s in ("web", "celery-unified")}
    for broken in (exits, unhealthy):
        (web,) = broken.updates
        assert web.state == "rollback_completed" and web.after == web.before
        assert [s for _, s in web.states][:2] == ["updating", "rollback_started"]
    assert report.heartbeat is not None and report.heartbeat.ok, report.heartbeat
    assert report.heartbeat.rows >= 5
    assert report.ok
    # everything is as before: the images it ran, no test image left in the registry
    web_name = swarm_name(stage.project.settings.stage, "web")
    assert swarm.image_of(web_name) == stage.state.images["web"]
    tags = stage.registry.tags(stage.registry.repository_for("dockyard.local/refsite-web"))
    assert tags == [stage.tag]


def test_deploy_and_rollback_from_the_command_line(stage, tmp_path):
    settings = stage.project.settings.stage
    web_name = swarm_name(settings, "web")
    running = swarm.image_of(web_name)
    made = variants.Variants(stage.registry)
    env = clean_env(DOCKYARD_ROOT=str(stage.project.root), DOCKYARD_REGISTRY=stage.registry.host)
    newer = "b" * 4 + stage.tag[4:]
    try:
        # a newer build pushed under its SHA, deployed as `invoke deploy --tag SHA` would
        next_ref = variants.make(made, "next", "web", running)
        pushed = next_ref.rsplit(":", 1)[0] + f":{newer}"
        made.refs[("next-sha", "web")] = pushed
        from dockyard.docker import images

        images.tag_image(next_ref, pushed)
        for _ in images.push_progress(pushed):
            pass
        deployed = invoke(stage.project.root, "deploy", "web", "--target", "stage", "--tag", newer, env=env)
        assert deployed.returncode == 0, deployed.stderr
        assert f"the stage's {web_name} runs {pushed}" in deployed.stdout
        assert swarm.image_of(web_name) == pushed

        dry = invoke(stage.project.root, "rollback.quick", "--target", "stage", "--service", "web", "--dry-run",
                     "--json", env=env)
        assert dry.returncode == 0, dry.stderr
        (step,) = json.loads(dry.stdout)["steps"]
        assert (step["from_sha"], step["to_sha"], step["to_image"]) == (newer, stage.tag, running)

        back = invoke(stage.project.root, "rollback.quick", "--target", "stage", "--service", "web", "--yes",
                      env=env)
        assert back.returncode == 0, back.stderr
        assert swarm.image_of(web_name) == running

        broken = variants.make(made, "exits", "web", running)
        refused = invoke(stage.project.root, "deploy", "web", "--target", "stage", "--image", broken, "--tag",
                         "e" * 12, env=env)
        assert refused.returncode == 1
        last = refused.stderr.strip().splitlines()[-1]
        assert last.startswith(f"error: web: refused: rolled back to {running} ("), refused.stderr
        assert "Traceback" not in refused.stderr
        assert swarm.image_of(web_name) == running

        missing = invoke(stage.project.root, "deploy", "web", "--target", "stage", "--tag", "f" * 12, env=env)
        assert missing.returncode == 1
        assert missing.stderr.strip().splitlines()[-1].startswith(f"error: image {running.rsplit(':', 1)[0]}:"
                                                                  f"{'f' * 12} is not in the registry")
    finally:
        variants.remove(made)
