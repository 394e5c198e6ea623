"""troubleshoot.size's pure logic: instructions, whiteouts, waste, caches, du output."""

from __future__ import annotations

import io
import tarfile

from dockyard.diagnose import size as sz


def test_clean_instruction():
    assert sz.clean_instruction('/bin/sh -c #(nop)  CMD ["python3"]') == 'CMD ["python3"]'
    assert (
        sz.clean_instruction("RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit")
        == "RUN apt-get update && apt-get install -y curl"
    )
    assert (
        sz.clean_instruction("RUN |1 BASE_IMAGE=x /bin/sh -c echo hi # buildkit") == "RUN echo hi"
    )
    assert sz.clean_instruction("COPY /opt/venv /opt/venv # buildkit") == "COPY /opt/venv /opt/venv"
    assert sz.clean_instruction("") == "(no instruction recorded)"


def _tar(entries: list[tuple[str, int]]) -> tarfile.TarFile:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, size in entries:
            info = tarfile.TarInfo(name)
            if size < 0:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = size
                tar.addfile(info, io.BytesIO(b"x" * size))
    buffer.seek(0)
    return tarfile.open(fileobj=buffer, mode="r|")


def test_read_layer_whiteouts_and_opaque_dirs():
    layer = sz.read_layer(
        _tar(
            [
                ("code/", -1),
                ("code/.wh.bundle.tar", 0),
                ("var/cache/.wh..wh..opq", 0),
                ("./etc/passwd", 12),
            ]
        )
    )
    assert layer.whiteouts == ["code/bundle.tar"]
    assert layer.opaque == ["var/cache"]
    assert layer.files == {"etc/passwd": 12}


def test_find_waste_deleted_overwritten_and_opaque():
    layers = [
        sz.LayerFiles(
            {"code/bundle.tar": 6000, "code/keep.py": 10, "var/cache/a/b": 300, "etc/passwd": 5},
            [],
            [],
        ),
        sz.LayerFiles({"code/new.py": 1}, ["code/bundle.tar"], []),
        sz.LayerFiles({"etc/passwd": 6}, [], ["var/cache"]),
    ]
    wasted = sorted(sz.find_waste(layers))
    assert wasted == [
        ("code/bundle.tar", 6000, 0, 1, "deleted"),
        ("etc/passwd", 5, 0, 2, "overwritten"),
        ("var/cache/a/b", 300, 0, 2, "deleted"),
    ]
    groups = sz.group_waste(wasted)
    assert [(g.written_in, g.removed_in, g.how, g.bytes) for g in groups] == [
        (0, 1, "deleted", 6000),
        (0, 2, "deleted", 300),
        (0, 2, "overwritten", 5),
    ]
    assert groups[0].examples[0].path == "/code/bundle.tar"


def test_deleting_a_directory_counts_every_file_below_it():
    layers = [
        sz.LayerFiles({"root/.npm/a": 100, "root/.npm/x/b": 50, "root/.npmrc": 1}, [], []),
        sz.LayerFiles({}, ["root/.npm"], []),
    ]
    assert sorted(p for p, *_ in sz.find_waste(layers)) == ["root/.npm/a", "root/.npm/x/b"]


def test_a_rewrite_in_a_later_layer_is_waste_a_single_layer_is_not():
    layers = [sz.LayerFiles({"tmp/x": 100}, [], []), sz.LayerFiles({"tmp/x": 100}, [], [])]
    assert sz.find_waste(layers) == [("tmp/x", 100, 0, 1, "overwritten")]
    assert sz.find_waste([sz.LayerFiles({"tmp/y": 5}, [], [])]) == []


def test_find_caches():
    layers = [
        sz.LayerFiles(
            {"var/lib/apt/lists/deb_main": 2_000_000, "root/.cache/pip/w.whl": 500, "usr/bin/x": 9},
            [],
            [],
        )
    ]
    caches = sz.find_caches(layers, min_bytes=1000)
    assert [(c.layer, c.label, c.bytes, c.files) for c in caches] == [
        (0, "apt package lists", 2_000_000, 1)
    ]


def test_align_skips_metadata_only_history():
    history = [
        {"created_by": "base"},
        {"empty_layer": True},
        {"created_by": "RUN"},
        {"empty_layer": True},
        {"created_by": "WORKDIR"},
    ]
    assert sz.align(history, 3) == {0: 0, 1: 2, 2: 4}
    assert sz.align([], 2) == {0: 0, 1: 1}


def test_parse_du():
    total, entries = sz.parse_du(
        "4\t/code/core/migrations\n5036\t/code/node_modules\n5624\t/code\n", "/code"
    )
    assert total == 5624 * 1024
    assert [(e.path, e.size) for e in entries] == [
        ("/code/node_modules", 5036 * 1024),
        ("/code/core/migrations", 4096),
    ]


def test_suggestions_for_rewrites_depend_on_the_instruction():
    assert "COPY --chown" in sz._rewrite_fix("RUN chown -R app:app /code")
    assert "one RUN" in sz._rewrite_fix("RUN apt-get install -y curl")
