"""Loopback fakes of the vendor APIs erpload pushes to, for tests and the demo.

Each fake is a FastAPI app (`erpload.fakes.app.FakeVendor`) that mirrors the vendor's documented paths,
behind shared fault knobs (`erpload.fakes.faults.Faults`) and a request log with payload hashes
(`erpload.fakes.journal`), inspectable under `/_fake/`. `erpload.fakes.serving.serve_in_thread` serves one on an
ephemeral loopback port for a test; `erpload fakes serve` serves them all for the demo.
"""
