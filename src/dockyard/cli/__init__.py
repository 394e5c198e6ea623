"""Where dockyard meets people and programs: the Invoke tasks (tasks/), the `dockyard` console script
(app, commands/), the `python -m` entry points (lint, images, bench), the views and the one error mapping."""
