"""The Invoke namespace: one sub-collection per card section."""

from invoke import Collection

from dockyard.cli.tasks import base, bench, build, deploy, lint, prune, rollback, test, troubleshoot

ns = Collection()
for module in (base, build, test, troubleshoot, rollback):
    ns.add_collection(module.ns)
ns.add_task(deploy.deploy)
ns.add_task(prune.prune)
ns.add_task(lint.lint)
ns.add_task(bench.bench)
