variable "TAG" {
  default = "latest"
}

group "default" {
  targets = ["web", "worker"]
}

target "web" {
  context    = "."
  dockerfile = "Dockerfile"
  target     = "web"
  tags       = ["ghcr.io/example-org/marketplace-web:${TAG}"]
}

target "worker" {
  context    = "."
  dockerfile = "Dockerfile"
  target     = "worker"
  tags       = ["ghcr.io/example-org/marketplace-worker:${TAG}"]
}
