"""troubleshoot.size against a real image with a wasteful layer, and against the reference web image."""

from __future__ import annotations

import json
import subprocess
import sys

from dockyard.diagnose.size import analyse_image


def test_wasteful_layer_is_found_with_its_instructions(fixture_images):
    report = analyse_image(fixture_images["wasteful"])
    biggest = report.waste[0]
    assert biggest.how == "deleted"
    assert biggest.bytes == 6_000_000 and biggest.files == 1
    assert biggest.examples[0].path == "/code/bundle.tar"
    by_index = {layer.index: layer for layer in report.layers}
    assert by_index[biggest.written_in].instruction.startswith(
        "RUN head -c 6000000 /dev/urandom > /code/bundle.tar"
    )
    assert by_index[biggest.removed_in].instruction == "RUN rm /code/bundle.tar"
    assert report.wasted_bytes >= 6_000_000

    assert [(c.label, c.bytes) for c in report.caches] == [("pip cache", 1_500_000)]
    assert report.code_paths[0].path == "/code/node_modules"
    findings = [s.finding for s in report.suggestions]
    assert any("are deleted by layer" in f for f in findings)
    assert any("keeps pip cache" in f for f in findings)
    assert "/code/node_modules is in the image" in findings
    # layers by size: the 8 MB RUN is the largest layer after the base
    sizes = sorted(
        (layer for layer in report.layers if not layer.empty), key=lambda layer: layer.size
    )
    assert sizes[-1].index == 0


def test_cli_json_on_reference_web_image(reference_images):
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "troubleshoot.size", reference_images["web"], "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["code_total"] > 0
    assert any(
        layer["instruction"].startswith("COPY /opt/venv /opt/venv") for layer in data["layers"]
    )
    assert all(p["path"].startswith("/code/") for p in data["code_paths"])
