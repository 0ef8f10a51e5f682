"""The `erpload` command line: `main` (the app and the commands that are no target's), `running` (how every
command runs, records its runs and ends), `target_commands` (transform/export/push per declared target,
`erpload targets`), `fakes` (`erpload fakes serve`), `status`. Commands import what they run when they run."""
