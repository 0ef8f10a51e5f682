"""Loopback fakes of the vendor APIs erpload pushes to, for tests and the demo.

Each fake is a FastAPI app (`fakes.app.FakeVendor`) that mirrors the vendor's documented paths,
behind shared fault knobs (`fakes.faults.Faults`) and a request log with payload hashes
(`fakes.journal`), inspectable under `/_fake/`. `fakes.serving.serve_in_thread` serves one on an
ephemeral loopback port for a test; `erpload fakes serve` serves them all for the demo.
"""
