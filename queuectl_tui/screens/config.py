"""Config editor: every key, its value, default and meaning; validated as typed; saved."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from queuectl_core.config import KEYS, Config, check_combination, format_value, parse_value
from queuectl_core.errors import InvalidInput
from queuectl_tui.requests import ConfigChangeRequested
from queuectl_tui.screens.base import LiveScreen
from queuectl_tui.widgets.key_footer import KeyFooter
from queuectl_tui.widgets.problem import show_problem


class ConfigScreen(LiveScreen):
    """``enter`` edits the highlighted key; ``enter`` again saves, ``esc`` abandons the edit."""

    AUTO_FOCUS = "#config"
    NARROW_KEYS = frozenset({"edit"})
    BINDINGS = [
        Binding("q,escape", "back", "Back"),
        Binding("enter", "edit", "Edit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._editing: str | None = None
        self._config = Config()
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Static(
            Text("Configuration, stored with the queue; workers pick changes up. enter: edit"),
            id="config-title",
        )
        yield DataTable[Text](id="config", cursor_type="row", zebra_stripes=True)
        yield Static(id="edit-label")
        yield Input(id="edit")
        yield Static(id="problem")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#config", DataTable)
        table.add_column("key", key="key")
        table.add_column("value", key="value")
        table.add_column("default", key="default")
        table.add_column("meaning", key="meaning")
        for name, key in KEYS.items():
            table.add_row(
                Text(name, style="bold"),
                Text(""),
                Text(format_value(key.default), style="dim"),
                Text(key.meaning),
                key=name,
            )
        self.console.request_refresh()

    async def reload(self, changed: bool) -> None:
        snapshot = self.console.snapshot  # the app loads the config with every snapshot
        if snapshot is None or (not changed and self._loaded):
            return
        self._loaded = True
        self._config = snapshot.config
        table = self.query_one("#config", DataTable)
        for name, key in KEYS.items():
            value = getattr(self._config, name)
            style = "bold" if value != key.default else ""
            table.update_cell(
                name, "value", Text(format_value(value), style=style), update_width=True
            )

    async def on_data_table_row_selected(self, _: DataTable.RowSelected) -> None:
        await self.run_action("edit")  # the table owns enter while it has focus

    def action_edit(self) -> None:
        table = self.query_one("#config", DataTable)
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        name = str(row_key.value)
        self._editing = name
        self.add_class("-editing")
        self.query_one("#edit-label", Static).update(
            Text.assemble("New value for ", (name, "bold"), " (enter saves, esc abandons)")
        )
        edit = self.query_one("#edit", Input)
        edit.value = format_value(getattr(self._config, name))
        edit.focus()

    def _check(self, text: str) -> str:
        if self._editing is None:
            return ""
        key = KEYS[self._editing]
        value = parse_value(key, text.strip())
        check_combination(replace(self._config, **{key.name: value}))  # type: ignore[arg-type]
        return format_value(value)

    @on(Input.Changed, "#edit")
    def _validate(self, event: Input.Changed) -> None:
        problem = self.query_one("#problem", Static)
        try:
            self._check(event.value)
        except InvalidInput as exc:
            show_problem(problem, exc)
        else:
            show_problem(problem, None)

    @on(Input.Submitted, "#edit")
    def _save(self, event: Input.Submitted) -> None:
        name = self._editing
        try:
            value = self._check(event.value)
        except InvalidInput:
            return  # the message is already on screen
        if name is None:
            return
        self._stop_editing()
        self.post_message(ConfigChangeRequested(name, value))

    def _stop_editing(self) -> None:
        self._editing = None
        self.remove_class("-editing")
        self.query_one("#problem", Static).update("")
        self.query_one("#config", DataTable).focus()

    def action_back(self) -> None:
        if self._editing is not None:
            self._stop_editing()
        else:
            self.dismiss()
