"""The local stage shaped like CapRover: the site's images as Docker Swarm services behind an nginx
proxy, deployed and rolled back the way CapRover does it, and the proof that this drops nothing.

spec (what runs, from the settings and the compose file), state (what `stage.up` made, on disk),
lifecycle (up, down, status), update (one service moved to an image, and how it ended), load
(bounded requests through the proxy), variants (the test images made from the web image),
heartbeat (the periodic task's rows, read back), zero_downtime (`invoke test.zero-downtime`).
"""
