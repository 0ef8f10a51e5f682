"""Tests of the d.velop transform."""
