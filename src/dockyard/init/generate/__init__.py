"""Pure generation: SiteFacts -> file texts (the Dockerfile, bake, compose, entrypoint, tasks.py,
noxfile.py, the health view, [tool.dockyard]), from the templates in dockyard/init/templates/."""
