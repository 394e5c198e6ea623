"""Benchmarks of the reference card's success metrics (`invoke bench`, `nox -s bench`).

One run measures, on the reference site: a cold build and warm one-file rebuilds, image sizes,
time from `docker run` to healthy, idle memory, the wall time of `nox -s images` with its checks
concurrent and sequential, the same figures for the card's own Dockerfile on the same site, a site
10x the size, and the core figures of each sample project. Each figure is printed beside the card's and the
project's target, as a table, as JSON and as a self-contained HTML chart.

Modules: `metrics` (what is measured, the card's figures and the targets), `report` (figures,
comparisons, table, JSON), `chart` (HTML + inline SVG), `edits` (one-file changes in an export),
`card` (the card's Dockerfile), `scale` (the site 10x the size), `projects` (the
sample projects), `builds`, `runtime`, `checks_timing` (measurements over the
engine) and `runner` (one run, end to end, cleaning up after itself).
"""
