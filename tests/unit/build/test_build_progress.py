"""BuildKit's rawjson progress, read as it streams (captures from buildx 0.13.1, Engine 26.1.5).

fixtures/app.rawjson: `bake app` (targets base + runtime of fixtures/Dockerfile) after `bake base`,
so the base step is cached and the others run. fixtures/broken.rawjson: `bake broken`, whose RUN
prints pip's "requires a different Python" on stderr and exits 1.
"""

from pathlib import Path

from dockyard.build.progress import BuildProgress, RawJsonReader, step_counts

FIXTURES = Path(__file__).parent / "fixtures"


def read(name: str) -> tuple[BuildProgress, list[str]]:
    progress, reader, plain = BuildProgress(), RawJsonReader(), []
    for line in (FIXTURES / name).read_text().splitlines(keepends=True):
        for item in reader.feed(line):
            for update in progress.apply(item):
                plain += update.lines
    return progress, plain


def test_steps_carry_target_stage_and_index_from_their_names():
    progress, _ = read("app.rawjson")
    steps = {(v.target, v.stage, v.index, v.count): v.command for v in progress.steps}
    assert steps == {
        ("runtime", "base", 1, 2): "FROM docker.io/dockyard-local/debian:bookworm",
        ("runtime", "base", 2, 2): 'RUN echo "prepare f6721e9e" > /prepared',
        ("runtime", "builder", 1, 1): 'RUN echo "compiling app" && echo "compiled f6721e9e" > /app',
        ("runtime", "runtime", 1, 2): "COPY --from=builder /app /app",
        ("runtime", "runtime", 2, 2): 'RUN echo "runtime ready"  && cat /app',
    }


def test_cached_and_total_steps_leave_out_from_and_follow_a_stage_filter():
    progress, _ = read("app.rawjson")
    assert step_counts(progress) == (1, 4)
    assert step_counts(progress, {"base"}) == (1, 1)
    assert step_counts(progress, {"base", "builder", "runtime"}) == (1, 4)
    assert all(v.done for v in progress.steps) and not progress.failed_steps()


def test_each_target_has_the_time_its_image_was_written():
    progress, _ = read("app.rawjson")
    began = progress.started_at()
    base = progress.export_completed("base", only_target=False)
    runtime = progress.export_completed("runtime", only_target=False)
    assert began < base < runtime
    assert (runtime - began).total_seconds() < 5


def test_the_failed_step_keeps_its_error_and_output():
    progress, _ = read("broken.rawjson")
    [failed] = progress.failed_steps()
    assert failed.stage == "broken" and failed.target is None  # one target: BuildKit names none
    assert failed.error.endswith("did not complete successfully: exit code: 1")
    assert sorted(failed.output) == [
        "Collecting refsite",
        "ERROR: Package 'refsite' requires a different Python: 3.11.2 not in '>=3.12'",
    ]
    assert progress.failure.startswith('failed to solve: process "/bin/sh -c echo')
    assert progress.trailing[0] == "Dockerfile:14"


def test_plain_rendering_matches_buildkits_plain_progress():
    _, plain = read("broken.rawjson")
    assert plain[:2] == ["#1 [internal] load local bake definitions", "#1 DONE 0.0s"]
    assert "#6 CACHED" in plain
    assert "#5 0.217 Collecting refsite" in plain
    assert any(line.startswith("#5 ERROR: process ") for line in plain)
    assert plain[-1].startswith("ERROR: failed to solve: ")
    assert len([line for line in plain if line.startswith("#2 ")]) == 2  # header and DONE, once each


def test_reader_passes_text_through_and_keeps_objects_whole():
    reader = RawJsonReader()
    items = []
    for line in [
        "{\n",
        '  "vertexes": [\n',
        '    {"digest": "sha256:a", "name": "[1/1] RUN x"}\n',
        "  ]\n",
        "}\n",
        "plain text\n",
    ]:
        items += list(reader.feed(line))
    assert items == [{"vertexes": [{"digest": "sha256:a", "name": "[1/1] RUN x"}]}, "plain text"]
    assert list(reader.feed("{\n")) == [] and list(reader.close()) == ["{"]


def test_output_is_bounded_and_split_into_lines_across_chunks():
    import base64

    def log(text: str) -> dict:
        return {"logs": [{"vertex": "sha256:a", "stream": 1, "data": base64.b64encode(text.encode()).decode()}]}

    progress = BuildProgress(output_lines_kept=3)
    progress.apply({"vertexes": [{"digest": "sha256:a", "name": "[x 1/1] RUN y"}]})
    progress.apply(log("line 0\nline 1\nli"))
    progress.apply(log("ne 2\n" + "".join(f"line {i}\n" for i in range(3, 10))))
    assert progress.vertices["sha256:a"].output == ["line 7", "line 8", "line 9"]


def test_a_step_reported_for_two_targets_counts_once():
    progress = BuildProgress()
    for digest, name, cached in (
        ("sha256:1", "[web base 2/4] RUN apt-get install curl", True),
        ("sha256:2", "[web builder  2/11] RUN python3 -m venv /opt/venv", True),
        ("sha256:3", "[celery-unified builder  2/11] RUN python3 -m venv /opt/venv", False),
    ):
        progress.apply(
            {"vertexes": [{"digest": digest, "name": name, "cached": cached, "started": "2026-01-01T00:00:00Z",
                           "completed": "2026-01-01T00:00:01Z"}]}
        )  # fmt: skip
    assert step_counts(progress) == (1, 2)


def test_a_vertex_buildkit_never_started_is_not_a_cache_miss():
    # bake of several targets: web announces its builder step, but test's identical vertex ran
    # (here: came from the cache) and web's never starts (seen with buildx 0.13.1 on `production test`)
    progress = BuildProgress()
    progress.apply({"vertexes": [{"digest": "sha256:w", "name": "[web builder  4/12] RUN pip install x"}]})
    progress.apply(
        {
            "vertexes": [
                {
                    "digest": "sha256:t",
                    "name": "[test builder  4/12] RUN pip install x",
                    "started": "2026-01-01T00:00:00Z",
                    "completed": "2026-01-01T00:00:00.1Z",
                    "cached": True,
                }
            ]
        }
    )
    assert step_counts(progress) == (1, 1)
    assert step_counts(progress, {"builder"}) == (1, 1)
