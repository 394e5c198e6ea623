from dockyard.build.progress import BuildLog, step_counts

# Captured from `docker buildx bake --progress=plain` (buildx 0.13.1, docker driver);
# BuildKit pads the step index ("builder  1/11") when the count has two digits.
PLAIN = """\
#0 building with "default" instance using docker driver

#2 [b internal] load build definition from Dockerfile
#2 transferring dockerfile: 264B done
#2 DONE 0.0s

#6 [a base 1/2] FROM docker.io/dockyard-local/debian:bookworm
#6 CACHED

#8 [a base 2/2] RUN echo hi > /hi
#8 CACHED

#9 [a builder  1/11] RUN echo a > /a
#9 0.113 writing a
#9 DONE 0.2s

#10 [a] exporting to image
#10 exporting layers 0.0s done
#10 naming to docker.io/t/a:1 done
#10 DONE 0.0s

#11 [b b 1/2] RUN make
#11 0.201 compiling
#11 1.502 make: *** [all] Error 2
#11 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2
------
ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2
"""


def feed_all(text: str) -> BuildLog:
    log = BuildLog()
    for line in text.splitlines():
        log.feed(line)
    return log


def test_steps_are_dockerfile_instructions_with_target_and_stage():
    log = feed_all(PLAIN)
    labels = [(v.target, v.stage, v.index, v.count) for v in log.steps]
    assert labels == [("a", "base", 1, 2), ("a", "base", 2, 2), ("a", "builder", 1, 11), ("b", "b", 1, 2)]


def test_cached_counts_skip_from_and_respect_stage_filter():
    log = feed_all(PLAIN)
    assert step_counts(log) == (1, 3)
    assert step_counts(log, {"base"}) == (1, 1)
    assert step_counts(log, {"builder"}) == (0, 1)


def test_failure_keeps_step_command_and_last_output():
    log = feed_all(PLAIN)
    [failed] = log.failed_steps()
    assert failed.command == "RUN make"
    assert failed.output[-1] == "make: *** [all] Error 2"
    assert "exit code: 2" in failed.error
    assert log.failure.startswith('process "/bin/sh -c make"')


def test_named_tags_are_recorded_without_registry_prefix():
    assert feed_all(PLAIN).named_tags == ["t/a:1"]


def test_named_tags_with_a_duration_are_recorded():
    log = feed_all("#81 [celery-unified] exporting to image\n#81 naming to r.local/x-celery:latest 0.0s done")
    assert log.named_tags == ["r.local/x-celery:latest"]


def test_output_is_bounded():
    log = BuildLog(output_lines_kept=3)
    log.feed("#1 [x 1/1] RUN y")
    for i in range(10):
        log.feed(f"#1 0.{i} line {i}")
    assert log.vertices[1].output == ["line 7", "line 8", "line 9"]


def test_a_step_reported_for_two_targets_counts_once():
    log = feed_all("""\
#11 [web base 2/4] RUN apt-get install curl
#11 [celery-unified base 2/4] RUN apt-get install curl
#11 CACHED
#14 [web builder  2/11] RUN python3 -m venv /opt/venv
#14 CACHED
#24 [celery-unified builder  2/11] RUN python3 -m venv /opt/venv
#24 DONE 1.0s
""")
    assert step_counts(log) == (1, 2)
