"""`dockyard init`: move an existing Django + Celery repository to the card's layout.

Three steps, I/O only at the edges:
  snapshot   read the repository's relevant files once (snapshot.read_repository)
  detect     pure functions over that snapshot -> SiteFacts (detect/), every fact with its evidence
  generate   pure functions SiteFacts -> {path: text} (generate/, templates/)
then plan (what would be written, created, appended or archived) and apply (the only writer).
`check` answers `dockyard init --check`: which checklist item each existing deployment file misses.
"""
