# docker buildx bake -f deployment/docker-bake.multistage.hcl essential
# Run from the repository root: the build context is ".".

variable "REGISTRY" {
  default = "dockyard.local"
}
variable "IMAGE_PREFIX" {
  default = "refsite"
}
variable "TAG" {
  default = "latest"
}
# Upstream base; dockyard passes dockyard-local/python:3.11-bookworm where no registry answers.
variable "BASE_IMAGE" {
  default = "python:3.11-slim-bookworm"
}
# Path of a CA bundle for TLS-intercepting proxies, handed in as the secret "ca-certs"; empty: none.
variable "CA_CERTS" {
  default = ""
}
# Names the pip and npm cache mounts; empty: the usual ones. `invoke bench` passes a new value
# to measure a cold build whose cache mounts start empty (nobody else's caches are touched).
variable "CACHE_SALT" {
  default = ""
}

function "image" {
  params = [name]
  result = ["${REGISTRY}/${IMAGE_PREFIX}-${name}:${TAG}"]
}

group "default" {
  targets = ["essential"]
}

group "essential" {
  targets = ["web", "celery-unified"]
}

group "production" {
  targets = ["web", "celery-unified", "flower"]
}

# The card's legacy targets: worker and beat apart, for high-availability set-ups. They replace
# celery-unified (never deploy both), and exactly one celery-beat may run.
group "legacy" {
  targets = ["web", "celery-worker", "celery-beat"]
}

target "_common" {
  context    = "."
  dockerfile = "deployment/Dockerfile.multistage"
  args = {
    BASE_IMAGE = BASE_IMAGE
    CACHE_SALT = CACHE_SALT
  }
  secret = CA_CERTS != "" ? ["id=ca-certs,src=${CA_CERTS}"] : []
}

target "web" {
  inherits = ["_common"]
  target   = "runtime-full"
  tags     = image("web")
}

target "celery-unified" {
  inherits = ["_common"]
  target   = "celery-unified"
  tags     = image("celery")
}

target "flower" {
  inherits = ["_common"]
  target   = "runtime-minimal"
  tags     = image("flower")
}

target "celery-worker" {
  inherits = ["_common"]
  target   = "celery-worker"
  tags     = image("celery-worker")
}

target "celery-beat" {
  inherits = ["_common"]
  target   = "celery-beat"
  tags     = image("celery-beat")
}

target "test" {
  inherits = ["_common"]
  target   = "test"
  tags     = image("test")
}
