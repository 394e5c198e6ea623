"""The Invoke namespace: one sub-collection per card section.

Task modules import only invoke and light dockyard modules at the top; the library is imported
inside the task bodies, so loading the namespace (every `invoke ...`, `--list` too) stays cheap.
"""

from invoke import Collection

from dockyard.cli.tasks import base, bench, build, deploy, init, lint, prune, push, rollback, stage, test, troubleshoot
from dockyard.cli.tasks._program import adopt

adopt()  # Invoke's parse errors as one `error:` line; `TASK --help` is help (cli.tasks._program)

ns = Collection()
for module in (base, test, troubleshoot, rollback, stage):
    ns.add_collection(module.ns)
ns.add_collection(build.collection())
ns.add_task(deploy.deploy)
ns.add_task(push.push)
ns.add_task(prune.prune)
ns.add_task(lint.lint)
ns.add_task(bench.bench)
ns.add_task(init.init)
