"""Running erpload from an orchestrator.

`erpload.orchestration.dagster` holds Dagster definitions (`pip install "erpload[dagster]"`, then
`dagster dev -m erpload.orchestration.dagster` in the project's folder). The other modules here import no
Dagster: which projects (tenants) there are, running a stage's command, reading a staging file's facts, and
probing an ERP for news; erpload itself never imports Dagster.
"""
