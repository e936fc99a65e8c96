"""The two ways to build the image end in the same runtime stage."""

from __future__ import annotations

import support


def runtime_stage(path) -> list[str]:
    lines = path.read_text().splitlines()
    start = lines.index("FROM debian:bookworm-slim AS runtime")
    return [line for line in lines[start:] if not line.startswith("COPY --from=build")]


def test_the_host_binary_dockerfile_builds_the_same_runtime_stage_as_the_multi_stage_one():
    multi = runtime_stage(support.REPO_ROOT / "Dockerfile")
    host = runtime_stage(support.REPO_ROOT / "docker/Dockerfile.runtime")
    assert host[-1] == "COPY retention /usr/local/bin/retention"
    assert multi[-1] == "CMD [\"--help\"]"
    assert host[:-1] == multi
    assert (support.REPO_ROOT / "Dockerfile").read_text().splitlines()[-1] == (
        "COPY --from=build /src/retention /usr/local/bin/retention"
    )
