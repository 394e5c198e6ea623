"""Prune's parsing, argv building and image protection (pure; output from buildx 0.13.1)."""

from __future__ import annotations

import pytest

from dockyard.core.errors import ConfigError
from dockyard.deploy import history
from dockyard.prune import plan as prune

# `docker buildx du`, docker driver (buildx 0.13.1, Engine 26.1.5), tabs as printed, rows trimmed.
DU = (
    "ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n"
    "r225ay63x3a6b2pze5fq46mq3               \ttrue \t\t428.5MB*  \t18 minutes ago\n"
    "s13nqiqjx4e7u2ob6usw29t0m               \ttrue \t\t328.6MB*  \t8 minutes ago\n"
    "jjkoejhte1xmednzkeqkid8mj               \ttrue \t\t179.4MB   \t5 minutes ago\n"
    "5gt3bbwhvt49950ii6pa7n1zz*              \tfalse\t\t802B      \t3 minutes ago\n"
    "19omw7cae6j1yinal70z1vrf0*              \ttrue \t\t0B        \t5 seconds ago\n"
    "Shared:\t\t1.676GB\n"
    "Private:\t310.6MB\n"
    "Reclaimable:\t1.987GB\n"
    "Total:\t\t1.987GB\n"
)
# No shared records: buildx leaves out the Shared/Private lines.
DU_PRIVATE = (
    "ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n"
    "w225fm2jm09hkp6md57xzuwdd*              \ttrue \t\t200kB     \t10 seconds ago\n"
    "Reclaimable:\t200kB\n"
    "Total:\t\t200kB\n"
)
# With --filter, buildx 0.13 prints the rows but no summary.
DU_FILTERED = (
    "ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n"
    "w225fm2jm09hkp6md57xzuwdd*              \ttrue \t\t200kB     \t10 seconds ago\n"
)
# `docker buildx prune --force --filter id=...`
PRUNED = (
    "ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n"
    "w225fm2jm09hkp6md57xzuwdd*              \ttrue \t\t200kB     \t14 seconds ago\n"
    "Total:\t200kB\n"
)


@pytest.mark.parametrize(
    "text,size",
    [
        ("0B", 0),
        ("802B", 802),
        ("2.932kB", 2932),
        ("200kB", 200_000),
        ("428.5MB*", 428_500_000),
        ("1.987GB", 1_987_000_000),
        ("1.50GiB", 1_610_612_736),
        ("12.00KiB", 12_288),
        (" 3 MB ", 3_000_000),
    ],
)
def test_sizes_as_go_units_prints_them(text, size):
    assert prune.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "12", "1.2XB", "MB", "-1MB"])
def test_not_sizes(text):
    with pytest.raises(ValueError):
        prune.parse_size(text)


def test_du_summary_and_record_count():
    usage = prune.parse_du(DU)
    assert usage == prune.CacheUsage(
        records=5, reclaimable=1_987_000_000, total=1_987_000_000, shared=1_676_000_000
    )
    assert usage.private == 311_000_000


def test_du_without_shared_records():
    usage = prune.parse_du(DU_PRIVATE)
    assert (usage.records, usage.total, usage.shared, usage.private) == (1, 200_000, 0, 200_000)


def test_du_without_a_total_is_refused_not_guessed():
    with pytest.raises(prune.PruneFailed, match="printed no Total line"):
        prune.parse_du(DU_FILTERED)


def test_du_empty_cache():
    assert prune.parse_du("Reclaimable:\t0B\nTotal:\t\t0B\n") == prune.CacheUsage(0, 0, 0)


def test_prune_total():
    assert prune.parse_prune_total(PRUNED) == 200_000
    assert prune.parse_prune_total("") is None


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
        prune.prune_argv(keep_storage="lots")


def test_prune_argv_is_a_list_with_every_option():
    assert prune.prune_argv() == ["docker", "buildx", "prune", "--force"]
    assert prune.prune_argv("ci", True, "10GB", {"until": "24h", "type": "regular"}) == [
        "docker",
        "buildx",
        "prune",
        "--force",
        "--builder",
        "ci",
        "--all",
        "--keep-storage",
        "10GB",
        "--filter",
        "until=24h",
        "--filter",
        "type=regular",
    ]
    assert prune.du_argv("ci") == ["docker", "buildx", "du", "--builder", "ci"]


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


def test_repository_of_handles_registry_ports_and_digests():
    assert prune.repository_of("127.0.0.1:5000/a/web:1") == "127.0.0.1:5000/a/web"
    assert prune.repository_of("web@sha256:abc") == "web"
    assert prune.repository_of("web") == "web"


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
        argv=[],
        cache_before=prune.CacheUsage(3, 900, 1000, 400),
        images_before=prune.ImageUsage(2, 5000),
    )
    assert report.freed_cache is None
    report.cache_after = prune.CacheUsage(1, 100, 200, 150)
    report.images_after = prune.ImageUsage(1, 4000)
    assert (report.freed_cache, report.freed_images) == (800, 1000)
    data = report.to_dict()
    assert data["cache_before"]["private"] == 600 and data["freed_build_cache"] == 800
