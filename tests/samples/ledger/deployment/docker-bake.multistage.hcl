# docker buildx bake -f deployment/docker-bake.multistage.hcl essential
# Run from the ledger's root directory: the build context is ".".

variable "REGISTRY" {
  default = "dockyard.local"
}
variable "IMAGE_PREFIX" {
  default = "ledger"
}
variable "TAG" {
  default = "latest"
}
# Upstream base; where no registry answers, pass a local stand-in
# (BASE_IMAGE=dockyard-local/python:3.13-trixie).
variable "BASE_IMAGE" {
  default = "python:3.13-slim-trixie"
}
# Path of a CA bundle handed in as the optional secret "ca-certs"; empty: none.
variable "CA_CERTS" {
  default = ""
}

# Tags are REGISTRY/IMAGE_PREFIX/<name>:TAG, e.g. dockyard.local/ledger/web:latest.
function "image" {
  params = [name]
  result = ["${REGISTRY}/${IMAGE_PREFIX}/${name}:${TAG}"]
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

# Separate worker and beat, for high-availability set-ups (deploy exactly one beat).
group "legacy" {
  targets = ["web", "celery-worker", "celery-beat"]
}

target "_common" {
  context    = "."
  dockerfile = "deployment/Dockerfile.multistage"
  args = {
    BASE_IMAGE = BASE_IMAGE
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
  tags     = image("celery-unified")
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
