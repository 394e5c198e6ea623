"""The `dockyard` sub-commands: one module each (NAME, HELP, add_arguments, run)."""
