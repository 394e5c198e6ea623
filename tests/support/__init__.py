"""Test helpers shared by several test areas (no tests here)."""
