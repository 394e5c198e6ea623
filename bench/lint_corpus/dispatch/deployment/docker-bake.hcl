variable "VERSION" {
  default = "dev"
}

group "default" {
  targets = ["web", "worker", "beat", "flower"]
}

target "_common" {
  context    = "."
  dockerfile = "deployment/Dockerfile"
  platforms  = ["linux/amd64"]
}

target "web" {
  inherits = ["_common"]
  target   = "web"
  tags     = ["ghcr.io/example-org/dispatch-web:${VERSION}"]
}

target "worker" {
  inherits = ["_common"]
  target   = "worker"
  tags     = ["ghcr.io/example-org/dispatch-worker:${VERSION}"]
}

target "beat" {
  inherits = ["_common"]
  target   = "beat"
  tags     = ["ghcr.io/example-org/dispatch-beat:${VERSION}"]
}

target "flower" {
  inherits = ["_common"]
  target   = "flower"
  tags     = ["ghcr.io/example-org/dispatch-flower:${VERSION}"]
}
