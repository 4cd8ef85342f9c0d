"""The project's own checkov checks (`make security` loads them with --external-checks-dir)."""
