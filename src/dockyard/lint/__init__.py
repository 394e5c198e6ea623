"""Static analysis of deployment/ (Dockerfile, bake file, compose file) without a Docker Engine.

Files are read through the Dockerfile model (dockyard.dockerfile: parser, graph, files, bake,
compose, shell). Here: discover, external (starts buildx and hadolint early); deployment (what
ships, and every way each image runs); processes (what each runner starts: scripts, supervisord,
s6, privilege drops); flows (what reaches an image over COPY --from); commands (what a command
is); dockerignore; rules/ (one module per concern); hadolint (the recommended codes, merged);
ignores; runner; output (JSON, SARIF; the text is dockyard.cli.views.lint); api (entry point of
`invoke lint` and `python -m dockyard.lint`).
"""
