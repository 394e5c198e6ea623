"""The Invoke namespace: one sub-collection per card section."""

from invoke import Collection

from dockyard.tasks import base, build

ns = Collection()
for module in (base, build):
    ns.add_collection(module.ns)
