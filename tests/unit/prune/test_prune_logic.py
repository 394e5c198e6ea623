"""Prune's decisions: the cache figures, filters and sizes, image protection and selection (pure)."""

from __future__ import annotations

import pytest

from dockyard.build.cache import CacheUsage
from dockyard.core.errors import ConfigError
from dockyard.core.imageref import ImageRef, parse_ref
from dockyard.deploy import history
from dockyard.prune import plan as prune

# Build-cache records as the Engine's `GET /system/df` gives them (Engine 26.1.5), trimmed.
RECORDS = [
    {"ID": "r225ay63x3a6b2pze5fq46mq3", "Type": "regular", "InUse": False, "Shared": True, "Size": 428_500_000},
    {"ID": "s13nqiqjx4e7u2ob6usw29t0m", "Type": "regular", "InUse": False, "Shared": True, "Size": 328_600_000},
    {"ID": "jjkoejhte1xmednzkeqkid8mj", "Type": "regular", "InUse": False, "Shared": False, "Size": 179_400_000},
    {"ID": "5gt3bbwhvt49950ii6pa7n1zz", "Type": "source.local", "InUse": True, "Shared": False, "Size": 802},
    {"ID": "19omw7cae6j1yinal70z1vrf0", "Type": "regular", "InUse": False, "Shared": False, "Size": 0},
]


def test_cache_usage_sums_records_as_buildx_du_does():
    usage = CacheUsage.from_records(RECORDS)
    assert usage == CacheUsage(records=5, reclaimable=936_500_000, total=936_500_802, shared=757_100_000)
    assert usage.private == 179_400_802
    assert CacheUsage.from_records([]) == CacheUsage(0, 0, 0)


def test_filters_follow_buildx_rules():
    assert prune.parse_filters(["until=24h", "type=regular"]) == {"until": "24h", "type": "regular"}
    with pytest.raises(ConfigError, match="must be KEY=VALUE"):
        prune.parse_filters(["until"])
    with pytest.raises(ConfigError, match="given twice"):
        prune.parse_filters(["type=regular", "type=exec.cachemount"])
    with pytest.raises(ConfigError, match="'1 day' is not a duration"):
        prune.parse_filters(["until=1 day"])
    with pytest.raises(ConfigError, match="are the same filter"):
        prune.parse_filters(["until=1h", "unused-for=2h"])


@pytest.mark.parametrize(
    "text,seconds",
    [
        ("24h", 86400),
        ("90m", 5400),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("300ms", 0.3),
        ("2h45m30s", 9930),
    ],
)
def test_go_durations(text, seconds):
    assert prune.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "24", "h", "1d", "24h ago", "-1h"])
def test_not_go_durations(text):
    with pytest.raises(ConfigError):
        prune.parse_duration(text)


@pytest.mark.parametrize(
    "text,size",
    [
        ("10GB", 10 * 1024**3),
        ("512m", 512 * 1024**2),
        ("1.5g", int(1.5 * 1024**3)),
        ("100", 100),
        ("2GiB", 2 * 1024**3),
    ],
)
def test_keep_storage_sizes(text, size):
    assert prune.parse_keep_storage(text) == size


def test_keep_storage_rejects_nonsense():
    with pytest.raises(ConfigError, match="'lots' is not a size"):
        prune.cache_prune(keep_storage="lots")


def test_the_prune_is_described_as_the_docker_command_it_equals():
    plain = prune.cache_prune()
    assert plain.command() == ["docker", "buildx", "prune", "--force"]
    assert plain.describe() == "dangling build cache" and plain.keep_storage is None
    full = prune.cache_prune(True, " 10GB ", ["until=24h", "type=regular"])
    assert full.command() == [
        "docker", "buildx", "prune", "--force", "--all", "--keep-storage", "10GB",
        "--filter", "until=24h", "--filter", "type=regular",
    ]  # fmt: skip
    assert full.keep_storage == 10 * 1024**3 and full.filters == {"until": "24h", "type": "regular"}
    assert full.describe() == "ALL unused build cache matching until=24h, type=regular"


def deployed(service, sha, result=history.ACCEPTED, repo="reg/web"):
    return history.Entry(
        time=history.now(), service=service, image=f"{repo}:{sha}", sha=sha, result=result
    )


def test_protected_images_are_the_last_two_of_each_service():
    entries = [
        deployed("web", "a"),
        deployed("web", "b"),
        deployed("web", "c"),
        deployed("celery-unified", "a", repo="reg/celery"),
        deployed("web", "d", history.FAILED),
    ]
    protected = prune.protected_images(entries)
    # web: last two successful (c, b) and last two attempts (c, d); celery: a
    assert set(protected) == {"reg/web:c", "reg/web:b", "reg/web:d", "reg/celery:a"}
    assert protected["reg/web:b"] == "named by a recent web deploy (b)"


def image(id_, *tags, created=1000.0, containers=0):
    return prune.ImageInfo(id=id_, tags=tags, created=created, size=1, containers=containers)


def test_image_selection_never_takes_protected_kept_in_use_or_foreign_tags():
    images = [
        image("1", "reg/web:old1", "reg/web:old1-alias"),
        image("2", "reg/web:b"),
        image("3", "reg/web:latest"),
        image("4", "reg/web:running", containers=1),
        image("5", "other/app:old"),
        image("6", "reg/web:new", created=9_000),
        image("7", "reg/web:unknown-use", containers=-1),
    ]
    selection = prune.select_images(
        images,
        ["reg/web"],
        {"reg/web:b": "named by a recent web deploy (b)"},
        older_than=3600,
        now=10_000,
    )
    assert selection.remove == ["reg/web:old1", "reg/web:old1-alias"]
    assert selection.keep == {
        "reg/web:b": "named by a recent web deploy (b)",
        "reg/web:latest": "tag latest is kept (keep_tags)",
        "reg/web:running": "used by a container",
        "reg/web:new": "newer than the until filter",
        "reg/web:unknown-use": "container use unknown",
    }


def test_image_references_split_registry_ports_tags_and_digests():
    assert parse_ref("127.0.0.1:5000/a/web:1") == ImageRef("127.0.0.1:5000/a/web", "1", None)
    assert parse_ref("web@sha256:abc") == ImageRef("web", None, "sha256:abc")
    assert parse_ref("web").repository == "web" and parse_ref("127.0.0.1:5000/web").tag is None


def test_images_from_df_reads_the_engine_shape():
    df = {
        "LayersSize": 762901313,
        "Images": [
            {
                "Id": "sha256:1c",
                "RepoTags": ["t/a:1"],
                "Created": 1795627541,
                "Size": 125535945,
                "Containers": 0,
            },
            {"Id": "sha256:2d", "RepoTags": None, "Created": 1, "Size": 5, "Containers": 2},
        ],
    }
    images, usage = prune.images_from_df(df)
    assert usage == prune.ImageUsage(count=2, layers_size=762901313)
    assert images[0] == prune.ImageInfo("sha256:1c", ("t/a:1",), 1795627541.0, 125535945, 0)
    assert images[1].tags == () and images[1].containers == 2


def test_report_freed_space():
    report = prune.Report(
        command=[],
        cache_before=CacheUsage(3, 900, 1000, 400),
        images_before=prune.ImageUsage(2, 5000),
    )
    assert report.freed_cache is None
    report.cache_after = CacheUsage(1, 100, 200, 150)
    report.images_after = prune.ImageUsage(1, 4000)
    assert (report.freed_cache, report.freed_images) == (800, 1000)
    data = report.to_dict()
    assert data["cache_before"]["private"] == 600 and data["freed_build_cache"] == 800


# ------------------------------------------------------------------ dangling images


def _image(id_, tags=(), containers=0, parent="", created=0.0, size=100, shared=40, labels=None):
    return prune.ImageInfo(id_, tuple(tags), created, size, containers, parent, shared, labels or {})


def test_dangling_images_nothing_uses_are_selected_and_the_others_kept_with_why():
    images = [
        _image("sha256:tagged", tags=("r/web:latest",), parent="sha256:base"),
        _image("sha256:base"),  # untagged, but an image is built on it
        _image("sha256:used", containers=1),
        _image("sha256:unknown", containers=-1),
        _image("sha256:young", created=1000.0),
        _image("sha256:old", created=10.0),
        _image("sha256:labelled", created=10.0, labels={"dockyard.test": "t1"}),
    ]
    selection = prune.select_dangling(images, older_than=100, now=1050.0)
    assert [i.id for i in selection.found] == [i.id for i in images[1:]]
    assert [i.id for i in selection.remove] == ["sha256:old", "sha256:labelled"]
    assert selection.keep == {
        "sha256:base": "another image is built on it",
        "sha256:used": "used by a container",
        "sha256:unknown": "container use unknown",
        "sha256:young": "newer than the until filter",
    }
    assert selection.size == 6 * 60 and selection.removable_size == 2 * 60  # own bytes: size - shared
    only = prune.select_dangling(images, label="dockyard.test=t1")
    assert [i.id for i in only.found] == ["sha256:labelled"] and [i.id for i in only.remove] == ["sha256:labelled"]


def test_dangling_images_come_from_the_engines_df():
    df = {
        "Images": [
            {"Id": "sha256:a", "RepoTags": None, "Created": 5, "Size": 10, "SharedSize": 4, "Containers": 0,
             "ParentId": "", "Labels": None},
            {"Id": "sha256:b", "RepoTags": ["<none>:<none>"], "Created": 5, "Size": 10, "SharedSize": -1,
             "Containers": 2, "ParentId": "sha256:a", "Labels": {"k": "v"}},
        ],
        "LayersSize": 20,
    }
    images, usage = prune.images_from_df(df)
    assert [(i.dangling, i.own_size, i.parent) for i in images] == [(True, 6, ""), (True, 10, "sha256:a")]
    assert images[1].labels == {"k": "v"} and usage.count == 2
