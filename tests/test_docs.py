"""The README documents what the code does."""

from __future__ import annotations

from pathlib import Path

from erpload import canonical

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_canonical_model_from_the_code() -> None:
    assert canonical.markdown_table() in README


def test_readme_starts_with_the_two_setup_commands() -> None:
    first_block = README.split("```")[1]
    assert "erpload demo" in first_block
    assert "scripts/test" in first_block


def test_readme_configuration_lists_every_setting_each_target_declares() -> None:
    from erpload.targets import targets

    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    for target in targets().values():
        for setting in target.settings:
            assert f"`{setting.key}`" in section, f"{target.name}: {setting.key} is not in the README's Configuration"


def test_readme_names_every_target_in_its_targets_table() -> None:
    from erpload.targets import targets

    table = README.split("\n## Targets\n", 1)[1].split("\n## ", 1)[0]
    for name in targets():
        assert f"`{name}`" in table


def _readme_commands() -> list[str]:
    """Every `erpload ...` line of the README's shell blocks, its comment cut off."""
    lines = []
    for block in README.split("```")[1::2]:
        if not block.startswith(("bash", "\n")):
            continue
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("erpload "):
                    lines.append(part)
    return lines


def test_every_erpload_command_in_the_readme_exists_and_takes_its_options() -> None:
    """Each command line parses as written (its options exist, its arguments fit), without running it;
    `[--x]` is an optional part, `a | b` alternatives (the first is parsed), `<name>` a placeholder."""
    import re
    import shlex

    import typer

    from erpload.cli.help_format import TENANT_OPTION, lift_option
    from erpload.cli.main import app

    root = typer.main.get_command(app)  # (typer brings its own copy of click: duck typing, not click's classes)
    commands = _readme_commands()
    assert len(commands) > 30
    for line in commands:
        text = re.sub(r"\[([^\]]*)\]", r"\1", line)  # optional parts are parsed too
        text = re.sub(r"\s*\|\s*\S+", "", text)  # `--sent|--not-sent`, `--set-day 15 | --delete`: the first
        text = re.sub(r"<[^>]+>", "X", text)
        words = shlex.split(text)[1:]
        # the root takes --tenant wherever it stands (ErploadGroup lifts it to the front)
        words = lift_option(words, TENANT_OPTION)
        if words[:1] == [TENANT_OPTION]:
            assert TENANT_OPTION in {o for p in root.params for o in p.opts}
            words = words[2:]
        command = root
        path: list[str] = []
        while getattr(command, "commands", None) and words and words[0] in command.commands:
            path.append(words.pop(0))
            command = command.commands[path[-1]]
        if getattr(command, "commands", None) and words and not words[0].startswith("-"):
            raise AssertionError(f"README: `{line}`: erpload {' '.join(path)} has no command {words[0]}")
        try:
            command.make_context(" ".join(["erpload", *path]), list(words))
        except Exception as exc:  # a usage error fails; `--help`-like exits are fine
            if type(exc).__name__ != "Exit":
                raise AssertionError(f"README: `{line}` does not parse: {exc}") from exc
