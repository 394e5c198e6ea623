"""The only way to the Docker Engine and the docker and git CLIs: the SDK client (client), the CLI
(cli), containers, images, buildx (bake, build, build cache), compose, git, and the build lock."""
