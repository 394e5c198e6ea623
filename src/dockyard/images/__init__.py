"""`nox -s images`: the tracked files exported (export), built and checked (pipeline, checks/), and
reported as JSON and JUnit XML (reports)."""
