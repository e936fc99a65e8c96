"""The two ways a pipeline step runs: in the ``retention`` image (DockerOperator) or with the
local binary (BashOperator). Both share the step's arguments, the database URL resolved at
execute time, the exit-code policy and the XCom value (the step's JSON summary line).

Exit codes of ``retention``: 0 ok, 1 runtime error (retried with backoff), 2 usage error and
3 quality gate failed (neither is retried: running them again cannot change the answer).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import Connection, Variable
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from docker.types import Mount

from retention_airflow.settings import (
    CONN_ID,
    CONTAINER_DATA_DIR,
    DATED_STEPS,
    DEFAULT_IMAGE,
    IMAGE_VARIABLE,
    Settings,
)

NOT_RETRIED = {2: "usage error", 3: "quality gate failed"}

NO_LOGICAL_DATE = (
    "retention_pipeline processes one logical day per run, and this run has no logical date "
    "(a manual trigger without one). Trigger it with a date, e.g. "
    "`airflow dags trigger retention_pipeline --logical-date 2026-01-01`, or pick the "
    "logical date in the UI's trigger form."
)


def step_args(step: str, flags: list[str] | None = None) -> list[str]:
    """The subcommand and its arguments (templated: ``{{ ds }}`` is the logical day), then
    ``flags``."""
    base = [step, "--date", "{{ ds }}"] if step in DATED_STEPS else [step]
    return base + list(flags or [])


def database_url() -> str:
    """The warehouse URL from the Connection, password included: only ever handed to the
    step's process environment, never to a templated field, a log line or XCom."""
    return Connection.get(CONN_ID).get_uri()


def parse_report(line: Any) -> dict[str, Any] | None:
    """The step's JSON summary, if ``line`` is one."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    if not isinstance(line, str):
        return None
    try:
        value = json.loads(line.strip())
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def last_report(output: Any) -> dict[str, Any] | None:
    """The last JSON summary line in ``output`` (one line or a list of lines).

    Normally the very last line; but a container's stdout and stderr reach Airflow as two
    streams, so a log line on stderr may arrive after it.
    """
    lines = output if isinstance(output, list) else [output]
    for line in reversed(lines):
        report = parse_report(line)
        if report is not None:
            return report
    return None


def fail(step: str, exit_code: int | None, output: Any, cause: BaseException) -> None:
    """Raises the exception that makes Airflow retry a runtime error and not the others."""
    report = last_report(output) or {}
    reason = report.get("error") or "see the task log"
    if exit_code is None and report.get("status") == "quality_failed":
        exit_code = 3
    if exit_code in NOT_RETRIED:
        raise AirflowFailException(
            f"retention {step}: {NOT_RETRIED[exit_code]} (exit {exit_code}), not retried: {reason}"
        ) from cause
    raise AirflowException(f"retention {step} failed (exit {exit_code}): {reason}") from cause


class _RetentionStep:
    """What both runners share; mixed in before the Airflow operator class."""

    step: str

    def render_template_fields(self, context, jinja_env=None) -> None:
        # Airflow 3 allows runs without a logical date; `{{ ds }}` would then be an
        # undefined-variable crash, so refuse before rendering with a message that says why.
        if self.step in DATED_STEPS and context.get("logical_date") is None:
            raise AirflowFailException(NO_LOGICAL_DATE)
        super().render_template_fields(context, jinja_env)  # type: ignore[misc]

    def summary(self, output: Any) -> Any:
        """The XCom value: the step's JSON summary line, as an object."""
        report = last_report(output)
        if report is None:
            self.log.warning("retention %s printed no JSON summary line", self.step)  # type: ignore[attr-defined]
            return output[-1] if isinstance(output, list) and output else output
        return report


class RetentionDockerOperator(_RetentionStep, DockerOperator):
    """Runs one step in the ``retention`` image, landing files on a named volume."""

    def __init__(self, *, step: str, settings: Settings, **kwargs: Any) -> None:
        self.step = step
        super().__init__(
            image=f"{{{{ var.value.get('{IMAGE_VARIABLE}', '{DEFAULT_IMAGE}') }}}}",
            command=step_args(step, settings.step_flags(step)),
            environment={"RETENTION_DATA_DIR": CONTAINER_DATA_DIR},
            # A named volume starts as a copy of the image's /data, owned by its non-root user.
            mounts=[Mount(target=CONTAINER_DATA_DIR, source=settings.data_volume, type="volume")],
            network_mode=settings.docker_network,
            docker_url=settings.docker_url,
            mount_tmp_dir=False,
            auto_remove="success",
            tty=False,
            do_xcom_push=True,
            # All lines, so that summary() finds the JSON line wherever stderr put it.
            xcom_all=True,
            **kwargs,
        )

    def execute(self, context):
        # Not templated and hidden in the UI; resolved here so it never reaches a template.
        self._private_environment = {"DATABASE_URL": database_url()}
        try:
            line = super().execute(context)
        except DockerContainerFailedException as e:
            found = re.search(r"'StatusCode': (\d+)", str(e))
            fail(self.step, int(found.group(1)) if found else None, list(e.logs or []), e)
        return self.summary(line)


class RetentionLocalOperator(_RetentionStep, BashOperator):
    """Runs one step with the local ``retention`` binary (``RETENTION_RUNNER=local``)."""

    def __init__(self, *, step: str, settings: Settings, **kwargs: Any) -> None:
        self.step = step
        flags = f"--config {shlex.quote(settings.local_config)} " if settings.local_config else ""
        super().__init__(
            bash_command=f'"$RETENTION_BIN" {flags}{" ".join(step_args(step, settings.step_flags(step)))}',
            append_env=True,
            # Every non-zero exit is a failure; 99 is not special for retention.
            skip_on_exit_code=None,
            **kwargs,
        )
        self._result = None

    def _run_inline_command(self, bash_path: str, env: dict):
        self._result = super()._run_inline_command(bash_path, env)
        return self._result

    def execute(self, context):
        self.env = {
            **(self.env or {}),
            "RETENTION_BIN": local_binary(),
            "RETENTION_DATA_DIR": local_data_dir(),
            "DATABASE_URL": database_url(),
        }
        try:
            line = super().execute(context)
        except AirflowException as e:
            if self._result is None:
                raise
            fail(self.step, self._result.exit_code, self._result.output, e)
        return self.summary(line)


def local_binary() -> str:
    """``RETENTION_BIN``, else the Variable ``retention_bin``, else ``retention`` on PATH."""
    path = os.environ.get("RETENTION_BIN") or Variable.get("retention_bin", default=None)
    if not path:
        path = shutil.which("retention")
    if not path or not os.access(path, os.X_OK):
        raise AirflowFailException(
            f"no retention binary at {path!r}: set RETENTION_BIN (or the Airflow Variable "
            "retention_bin) to the built binary, e.g. target/release/retention"
        )
    return str(Path(path).resolve())


def local_data_dir() -> str:
    """``RETENTION_DATA_DIR``, else the Variable ``retention_data_dir``, else under AIRFLOW_HOME.

    A fixed place: each task runs in a fresh temporary directory, so the binary's default
    ``./data`` would not survive from ``generate`` to ``load``.
    """
    path = os.environ.get("RETENTION_DATA_DIR") or Variable.get("retention_data_dir", default=None)
    if not path:
        home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
        path = str(Path(home) / "retention-data")
    Path(path).mkdir(parents=True, exist_ok=True)
    return path
