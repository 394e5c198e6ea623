"""Static analysis of deployment/ (Dockerfile, bake file, compose file) without a Docker Engine.

parsing: dockerfile_parser (BuildKit's grammar), bake_file (buildx --print / python-hcl2),
compose_file (YAML with line numbers), discover, external (starts buildx and hadolint early);
model: deployment (what ships), graph (stage graph), shell + commands (what RUN/CMD lines do);
rules/ (one module per concern); hadolint (merged second opinion); ignores + config; runner;
output (text, JSON, SARIF); api (entry point of `invoke lint` and `python -m dockyard.lint`).
"""
