"""Bake runs: `docker buildx bake` with BuildKit's progress as data (progress), failures as BuildFailed
(failure), the build cache's figures (cache), and local stand-ins for base images (base_images)."""
