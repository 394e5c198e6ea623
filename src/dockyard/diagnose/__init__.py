"""`invoke troubleshoot.*`: why a build failed (build), a container will not start or stay healthy
(container), beat is not running (beat), an image is large (size)."""
