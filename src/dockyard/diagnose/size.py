"""`troubleshoot.size IMAGE`: where an image's bytes are, and which of them are wasted.

- layers by size, each with the Dockerfile instruction that made it (`docker history`);
- the largest paths under /code (`du` in a throw-away container of the image);
- files written in one layer and deleted or overwritten in a later one: those bytes still
  ship in the image (read from the layer tarballs of `docker save`);
- caches left inside layers (apt lists, pip/npm caches);
each finding with a suggestion.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from dockyard.core.settings import TroubleshootSettings
from dockyard.docker.client import APIError
from dockyard.docker.containers import (
    ContainerError,
    chunk_reader,
    logs_text,
    temporary_container,
    unique_name,
    wait_exit,
)
from dockyard.docker.images import get_image, image_history, save_stream

# Caches that have no business in a runtime layer: (path prefix in the layer, label, suggestion)
CACHE_DIRS = [
    (
        "var/lib/apt/lists/",
        "apt package lists",
        "end the same RUN with `rm -rf /var/lib/apt/lists/*` (or use a cache mount for /var/lib/apt)",
    ),
    (
        "var/cache/apt/",
        "apt download cache",
        "end the same RUN with `apt-get clean` (or use a cache mount for /var/cache/apt)",
    ),
    (
        "root/.cache/pip/",
        "pip cache",
        "pip install --no-cache-dir, or RUN --mount=type=cache,target=/root/.cache/pip",
    ),
    (
        "root/.npm/",
        "npm cache",
        "npm cache clean --force in the same RUN, or a cache mount for /root/.npm",
    ),
    ("root/.cache/", "a cache under /root/.cache", "clear it in the same RUN or use a cache mount"),
    ("tmp/", "files in /tmp", "remove temporary files in the same RUN that creates them"),
]

# Paths under /code that a runtime image rarely needs: (name, suggestion)
CODE_SUSPECTS = {
    "node_modules": "install production dependencies only (npm ci --omit=dev), or copy only the built "
    "assets into the runtime stage",
    ".git": "add .git to .dockerignore",
    "__pycache__": "set PYTHONDONTWRITEBYTECODE=1 during the build or add __pycache__ to .dockerignore",
    ".venv": "add .venv to .dockerignore: the image has its own virtualenv",
    "venv": "add venv to .dockerignore: the image has its own virtualenv",
    ".pytest_cache": "add .pytest_cache to .dockerignore",
    "frontend": "if only the built assets are served, keep the sources out of the runtime stage",
}


@dataclass
class LayerInfo:
    index: int  # 0 = the base layer
    size: int
    instruction: str
    created: str
    empty: bool


@dataclass
class PathSize:
    path: str
    size: int


@dataclass
class Waste:
    written_in: int
    removed_in: int
    how: str  # deleted | overwritten
    bytes: int
    files: int
    examples: list[PathSize]


@dataclass
class CacheLeft:
    layer: int
    label: str
    prefix: str
    bytes: int
    files: int
    suggestion: str


@dataclass
class Suggestion:
    finding: str
    suggestion: str
    bytes: int


@dataclass
class SizeReport:
    image: str
    size: int
    layers: list[LayerInfo]
    code_dir: str
    code_total: int | None
    code_paths: list[PathSize]
    waste: list[Waste]
    caches: list[CacheLeft]
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def wasted_bytes(self) -> int:
        return sum(w.bytes for w in self.waste)

    def to_dict(self) -> dict:
        return {**asdict(self), "wasted_bytes": self.wasted_bytes}


# --------------------------------------------------------------------------- history


def clean_instruction(created_by: str) -> str:
    """`/bin/sh -c #(nop)  CMD ["x"]` -> `CMD ["x"]`; BuildKit's `RUN /bin/sh -c x # buildkit` -> `RUN x`."""
    text = (created_by or "").strip()
    text = re.sub(r"\s*# buildkit$", "", text)
    text = re.sub(r"^/bin/sh -c #\(nop\)\s*", "", text)
    text = re.sub(r"^/bin/sh -c ", "RUN ", text)
    text = re.sub(r"^(RUN(?: \|\d+ \S+(?: \S+=\S+)*)?) /bin/sh -c ", r"\1 ", text)
    text = re.sub(r"^RUN \|\d+ (?:\S+=\S* )*", "RUN ", text)
    return re.sub(r"\s+", " ", text) or "(no instruction recorded)"


def layers_from_history(history: list[dict]) -> list[LayerInfo]:
    """`docker history` entries, oldest first -> layers."""
    out = []
    for i, entry in enumerate(history):
        size = int(entry.get("Size") or 0)
        out.append(
            LayerInfo(
                index=i,
                size=size,
                instruction=clean_instruction(entry.get("CreatedBy", "")),
                created=str(entry.get("Created", "")),
                empty=size == 0,
            )
        )
    return out


# --------------------------------------------------------------------------- layer contents


@dataclass
class LayerFiles:
    files: dict[str, int]  # path -> size (regular files)
    whiteouts: list[str]  # paths deleted by this layer
    opaque: list[str]  # directories whose lower contents this layer hides


def read_layer(tar_stream: tarfile.TarFile) -> LayerFiles:
    files: dict[str, int] = {}
    whiteouts: list[str] = []
    opaque: list[str] = []
    for member in tar_stream:
        path = member.name.lstrip("./").lstrip("/")
        if not path:
            continue
        base = path.rsplit("/", 1)[-1]
        parent = path[: -len(base)].rstrip("/")
        if base == ".wh..wh..opq":
            opaque.append(parent)
        elif base.startswith(".wh."):
            whiteouts.append(f"{parent}/{base[4:]}" if parent else base[4:])
        elif member.isfile():
            files[path] = member.size
        elif member.islnk() or member.issym():
            files[path] = 0
    return LayerFiles(files, whiteouts, opaque)


def find_waste(layers: list[LayerFiles]) -> list[tuple[str, int, int, int, str]]:
    """(path, size, written_in, removed_in, how) for every file a later layer deletes or overwrites."""
    present: dict[str, tuple[int, int]] = {}  # path -> (size, layer)
    children: dict[str, set[str]] = {}
    wasted: list[tuple[str, int, int, int, str]] = []

    def add(path: str, size: int, layer: int) -> None:
        present[path] = (size, layer)
        parts = path.split("/")
        for depth in range(1, len(parts)):
            children.setdefault("/".join(parts[:depth]), set()).add("/".join(parts[: depth + 1]))
        children.setdefault("", set()).add(parts[0])

    def remove_tree(root: str, layer: int, include_root: bool) -> None:
        todo = [root] if include_root else list(children.get(root, ()))
        if not include_root:
            children.pop(root, None)
        while todo:
            path = todo.pop()
            if path in present:
                size, written = present.pop(path)
                if written < layer:
                    wasted.append((path, size, written, layer, "deleted"))
            todo.extend(children.pop(path, ()))

    for index, layer in enumerate(layers):
        for directory in layer.opaque:
            remove_tree(directory, index, include_root=False)
        for path in layer.whiteouts:
            remove_tree(path, index, include_root=True)
        for path, size in layer.files.items():
            if path in present:
                old_size, written = present[path]
                if written < index:
                    wasted.append((path, old_size, written, index, "overwritten"))
            add(path, size, index)
    return wasted


def group_waste(
    entries: Iterable[tuple[str, int, int, int, str]], examples: int = 5
) -> list[Waste]:
    groups: dict[tuple[int, int, str], list[tuple[str, int]]] = {}
    for path, size, written, removed, how in entries:
        groups.setdefault((written, removed, how), []).append((path, size))
    out = []
    for (written, removed, how), items in groups.items():
        items.sort(key=lambda item: item[1], reverse=True)
        out.append(
            Waste(
                written,
                removed,
                how,
                sum(s for _, s in items),
                len(items),
                [PathSize("/" + p, s) for p, s in items[:examples]],
            )
        )
    return sorted(out, key=lambda w: w.bytes, reverse=True)


def find_caches(layers: list[LayerFiles], min_bytes: int) -> list[CacheLeft]:
    """Cache directories with files inside a layer (each file counted under the first matching prefix)."""
    out = []
    for index, layer in enumerate(layers):
        totals: dict[str, list[int]] = {}
        for path, size in layer.files.items():
            for prefix, _, _ in CACHE_DIRS:
                if path.startswith(prefix):
                    totals.setdefault(prefix, [0, 0])
                    totals[prefix][0] += size
                    totals[prefix][1] += 1
                    break
        for prefix, label, suggestion in CACHE_DIRS:
            if prefix in totals and totals[prefix][0] >= min_bytes:
                out.append(
                    CacheLeft(
                        index, label, "/" + prefix, totals[prefix][0], totals[prefix][1], suggestion
                    )
                )
    return out


def saved_layers(image_ref: str) -> tuple[list[LayerFiles], list[dict]]:
    """The image's layers, base first, and its config's history, read from the `docker save` stream
    without writing it to disk."""
    stream = chunk_reader(save_stream(image_ref))
    blobs: dict[str, LayerFiles] = {}
    documents: dict[str, object] = {}
    with tarfile.open(fileobj=stream, mode="r|") as outer:
        for member in outer:
            if not member.isfile():
                continue
            handle = outer.extractfile(member)
            if handle is None:
                continue
            name = member.name.lstrip("./")
            if member.size < 4 << 20:
                data = handle.read()
                if data[:1] in (b"{", b"["):
                    try:
                        documents[name] = json.loads(data)
                        continue
                    except ValueError:
                        pass
                handle = io.BytesIO(data)
            try:
                with tarfile.open(fileobj=handle, mode="r|*") as inner:
                    blobs[name] = read_layer(inner)
            except tarfile.TarError:
                continue
    manifest = documents.get("manifest.json")
    if not isinstance(manifest, list) or not manifest:
        raise ContainerError(f"docker save of {image_ref} has no manifest.json")
    order = [path.lstrip("./") for path in manifest[0].get("Layers", [])]
    config = documents.get(str(manifest[0].get("Config", "")).lstrip("./"))
    history = config.get("history", []) if isinstance(config, dict) else []
    return [blobs.get(path, LayerFiles({}, [], [])) for path in order], history


def align(config_history: list[dict], layer_count: int) -> dict[int, int]:
    """Tar layer index -> history index: the history entries without `empty_layer` match the
    tarballs in order (a zero-byte WORKDIR is still a layer; ENV/CMD are not)."""
    if not config_history:
        return {i: i for i in range(layer_count)}
    with_layer = [i for i, entry in enumerate(config_history) if not entry.get("empty_layer")]
    if len(with_layer) != layer_count:  # history missing or inconsistent: assume the last entries
        with_layer = list(range(max(0, len(config_history) - layer_count), len(config_history)))
    return dict(enumerate(with_layer))


# --------------------------------------------------------------------------- /code


def code_paths(image_ref: str, code_dir: str, depth: int = 2) -> tuple[int | None, list[PathSize]]:
    """(total, entries) from `du -k -x -d DEPTH CODE_DIR` in a throw-away container (entrypoint replaced)."""
    try:
        with temporary_container(
            image_ref,
            name=unique_name("dockyard-ts-du"),
            entrypoint=["du"],
            command=["-k", "-x", "-d", str(depth), code_dir],
        ) as container:
            wait_exit(container, 120)
            output = logs_text(container, stderr=False)
    except (ContainerError, APIError):
        return None, []
    return parse_du(output, code_dir)


def parse_du(output: str, root: str) -> tuple[int | None, list[PathSize]]:
    total = None
    entries = []
    for line in output.splitlines():
        parts = line.split("\t", 1)
        if len(parts) != 2 or not parts[0].isdigit():
            continue
        size, path = int(parts[0]) * 1024, parts[1].rstrip("/")
        if path == root.rstrip("/"):
            total = size
        else:
            entries.append(PathSize(path, size))
    entries.sort(key=lambda e: e.size, reverse=True)
    return total, entries


# --------------------------------------------------------------------------- suggestions


def suggestions(report: SizeReport, min_waste: int) -> list[Suggestion]:
    out: list[Suggestion] = []
    by_index = {layer.index: layer for layer in report.layers}
    for waste in report.waste:
        if waste.bytes < min_waste:
            continue
        made = by_index.get(waste.written_in)
        gone = by_index.get(waste.removed_in)
        made_by = made.instruction[:70] if made else f"layer {waste.written_in}"
        gone_by = gone.instruction[:70] if gone else f"layer {waste.removed_in}"
        if waste.how == "deleted":
            out.append(
                Suggestion(
                    f"{waste.files} file(s) written by layer {waste.written_in} (`{made_by}`) are deleted by layer "
                    f"{waste.removed_in} (`{gone_by}`), but their bytes still ship",
                    "delete them in the same RUN that creates them, or build them in another stage and COPY "
                    "only what the runtime needs",
                    waste.bytes,
                )
            )
        else:
            out.append(
                Suggestion(
                    f"{waste.files} file(s) from layer {waste.written_in} (`{made_by}`) are rewritten by layer "
                    f"{waste.removed_in} (`{gone_by}`): both copies ship",
                    _rewrite_fix(gone.instruction if gone else ""),
                    waste.bytes,
                )
            )
    for cache in report.caches:
        layer = by_index.get(cache.layer)
        out.append(
            Suggestion(
                f"layer {cache.layer} (`{layer.instruction[:70] if layer else '?'}`) keeps {cache.label} "
                f"({cache.files} file(s) under {cache.prefix})",
                cache.suggestion,
                cache.bytes,
            )
        )
    for entry in report.code_paths:
        name = entry.path.rsplit("/", 1)[-1]
        if (
            name in CODE_SUSPECTS
            and entry.size >= min_waste
            and entry.path.count("/") == report.code_dir.count("/") + 1
        ):
            out.append(Suggestion(f"{entry.path} is in the image", CODE_SUSPECTS[name], entry.size))
    return sorted(out, key=lambda s: s.bytes, reverse=True)


def _rewrite_fix(instruction: str) -> str:
    if re.search(r"\b(chown|chmod)\b", instruction):
        return "set owner and mode when the files are written (COPY --chown/--chmod) instead of a later chown/chmod -R"
    if re.search(r"\b(apt-get|apt|dpkg)\b", instruction):
        return "package-manager state is rewritten by each install: install all packages in one RUN"
    return "write these files once, in the instruction that creates them"


def analyse_image(
    image_ref: str,
    *,
    code_dir: str = TroubleshootSettings.code_dir,
    min_waste: int = TroubleshootSettings.min_waste_bytes,
    min_cache: int = TroubleshootSettings.min_cache_bytes,
) -> SizeReport:
    image = get_image(image_ref)
    history = layers_from_history(image_history(image.id))
    layer_files, config_history = saved_layers(image.id)
    mapping = align(
        config_history or [{"empty_layer": layer.empty} for layer in history], len(layer_files)
    )
    waste = group_waste(
        (p, s, mapping.get(w, w), mapping.get(r, r), how)
        for p, s, w, r, how in find_waste(layer_files)
    )
    caches = [
        CacheLeft(mapping.get(c.layer, c.layer), c.label, c.prefix, c.bytes, c.files, c.suggestion)
        for c in find_caches(layer_files, min_cache)
    ]
    total, paths = code_paths(image.id, code_dir)
    report = SizeReport(
        image=image_ref,
        size=int(image.attrs.get("Size") or 0),
        layers=history,
        code_dir=code_dir,
        code_total=total,
        code_paths=paths,
        waste=waste,
        caches=caches,
    )
    report.suggestions = suggestions(report, min_waste)
    return report
