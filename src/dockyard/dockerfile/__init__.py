"""The Dockerfile model build, checks and lint share: the parser (BuildKit's grammar), ARG/ENV
expansion, shell words, the stage graph, the bake model and the compose model."""
