variable "REGISTRY" {
  default = "registry.example.org/newsroom"
}

variable "TAG" {
  default = "dev"
}

group "default" {
  targets = ["app"]
}

# one image per process type, all from the same Dockerfile
target "app" {
  name       = "app-${tgt}"
  matrix = {
    tgt = ["web", "worker", "beat"]
  }
  context    = "."
  dockerfile = "Dockerfile"
  target     = tgt
  tags       = ["${REGISTRY}/${tgt}:${TAG}"]
  platforms  = ["linux/amd64"]
}

target "test" {
  context    = "."
  dockerfile = "Dockerfile"
  target     = "base"
  tags       = ["newsroom/test:local"]
}
