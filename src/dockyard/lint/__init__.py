"""Static analysis of deployment/ (Dockerfile, bake file, compose file) without a Docker Engine.

Files are read through the Dockerfile model (dockyard.dockerfile: parser, bake, compose, graph,
shell). Here: discover, external (starts buildx and hadolint early); deployment (what ships);
commands (what RUN/CMD lines do); dockerignore; rules/ (one module per concern); hadolint
(merged second opinion); ignores; runner; output (JSON, SARIF; the text is dockyard.cli.views.lint);
api (entry point of `invoke lint` and `python -m dockyard.lint`).
"""
