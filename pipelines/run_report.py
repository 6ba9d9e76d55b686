"""What `reportscope run` says about a finished run: its failure's root cause, failed checks."""

from __future__ import annotations

import dagster as dg
from dagster._utils.error import SerializableErrorInfo


def root_cause(error: SerializableErrorInfo) -> SerializableErrorInfo:
    """The innermost cause of an error (Dagster wraps a step's exception in its own)."""
    while error.cause is not None:
        error = error.cause
    return error


def one_line(error: SerializableErrorInfo) -> str:
    """`ClassName: message` on one line."""
    message = " ".join(error.message.split())
    named = bool(error.cls_name) and error.cls_name in message.split(": ", 1)[0]
    return message if named else f"{error.cls_name}: {message}"


def failure_lines(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per failed step: the step, then its root cause first."""
    lines = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        cause = one_line(root_cause(error)) if error else "unknown error"
        lines.append(f"  step {event.step_key}: {cause}")
    return lines


def failed_check_lines(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per asset check that did not pass (errors and warnings), with its numbers."""
    lines = []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            continue
        numbers = ", ".join(
            f"{key}={value.value}"
            for key, value in evaluation.metadata.items()
            if isinstance(value.value, int | float) and not isinstance(value.value, bool)
        )
        severity = "warning" if evaluation.severity == dg.AssetCheckSeverity.WARN else "FAILED"
        lines.append(f"  check {evaluation.check_name} ({severity}): {numbers or 'see the UI'}")
    return lines
