variable "VERSION" {
  default = "dev"
}

group "default" {
  targets = ["web", "worker", "scheduler"]
}

target "_base" {
  context    = "."
  dockerfile = "Dockerfile"
  args = {
    DJANGO_ENV = "production"
  }
}

target "web" {
  inherits = ["_base"]
  target   = "runtime"
  tags     = ["registry.example.org/taskboard/web:${VERSION}"]
}

target "worker" {
  inherits = ["_base"]
  target   = "worker"
  tags     = ["registry.example.org/taskboard/worker:${VERSION}"]
}

target "scheduler" {
  inherits = ["_base"]
  target   = "scheduler"
  tags     = ["registry.example.org/taskboard/scheduler:${VERSION}"]
}
