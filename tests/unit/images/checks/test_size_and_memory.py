from dockyard.images.checks.memory import memory_used
from dockyard.images.checks.size import layer_sharing

WEB_HISTORY = [
    {"CreatedBy": "FROM", "Size": 100, "Created": 1},
    {"CreatedBy": "COPY", "Size": 50, "Created": 2},
    {"CreatedBy": "CMD gunicorn", "Size": 0, "Created": 3},
]


def test_image_built_on_web_shares_all_layers_and_owns_only_its_steps():
    history = [
        *WEB_HISTORY,
        {"CreatedBy": "HEALTHCHECK", "Size": 0, "Created": 4},
        {"CreatedBy": "CMD celery", "Size": 0, "Created": 4},
    ]
    assert layer_sharing(["a", "b"], ["a", "b"], WEB_HISTORY, history) == (2, 0)


def test_sibling_image_shares_the_base_only_and_owns_the_rest():
    history = [WEB_HISTORY[0], {"CreatedBy": "COPY app", "Size": 70, "Created": 5}]
    assert layer_sharing(["a", "b"], ["a", "c"], WEB_HISTORY, history) == (1, 70)


def test_own_layers_counted_after_web():
    history = [*WEB_HISTORY, {"CreatedBy": "RUN blob", "Size": 2_000_000, "Created": 9}]
    assert layer_sharing(["a", "b"], ["a", "b", "c"], WEB_HISTORY, history) == (2, 2_000_000)


def test_memory_used_as_docker_stats_counts_it():
    v1 = {"memory_stats": {"usage": 300, "stats": {"total_inactive_file": 100}}}
    v2 = {"memory_stats": {"usage": 300, "stats": {"inactive_file": 50}}}
    assert memory_used(v1) == 200 and memory_used(v2) == 250
    assert memory_used({"memory_stats": {"usage": 300, "stats": {}}}) == 300
    assert memory_used({"memory_stats": {}}) is None
