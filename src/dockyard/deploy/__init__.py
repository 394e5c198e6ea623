"""Deploys and rollbacks: the CapRover API (caprover), the deploy history (history), one deploy
checked and recorded (deployer), and quick and full rollbacks (rollback)."""
