variable "TAG" {
  default = "dev"
}

variable "REGISTRY" {
  default = "ghcr.io/example-org"
}

group "default" {
  targets = ["web", "worker", "scheduler"]
}

target "_base" {
  context    = "."
  dockerfile = "deployment/Dockerfile"
}

target "web" {
  inherits = ["_base"]
  target   = "runtime"
  tags     = ["${REGISTRY}/pollster-web:${TAG}"]
}

target "worker" {
  inherits = ["_base"]
  target   = "worker"
  tags     = ["${REGISTRY}/pollster-worker:${TAG}"]
}

target "scheduler" {
  inherits = ["_base"]
  target   = "scheduler"
  tags     = ["${REGISTRY}/pollster-scheduler:${TAG}"]
}

target "test" {
  inherits = ["_base"]
  target   = "test"
  tags     = ["pollster-test:local"]
}
