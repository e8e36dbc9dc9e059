#!/usr/bin/env python3
"""Checks .github/workflows/ci.yml: valid YAML, a Linux and a macOS job, and each job's work is `.ci/run`
itself (the steps are shared, never copied into the workflow). Exits 1 with a message otherwise."""
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - the CI script installs it first
    sys.exit("workflow-check: PyYAML is missing (pip install pyyaml)")

path = sys.argv[1] if len(sys.argv) > 1 else ".github/workflows/ci.yml"
try:
    with open(path, encoding="utf-8") as file:
        workflow = yaml.safe_load(file)
except (OSError, yaml.YAMLError) as error:
    sys.exit(f"workflow-check: {path}: {error}")

problems = []
jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
if not isinstance(jobs, dict) or not jobs:
    problems.append("no jobs")
else:
    runners = {name: str(job.get("runs-on", "")) for name, job in jobs.items()}
    if not any("ubuntu" in runner for runner in runners.values()):
        problems.append("no Linux job")
    if not any("macos" in runner for runner in runners.values()):
        problems.append("no macOS job")
    for name, job in jobs.items():
        commands = [step.get("run", "") for step in job.get("steps", []) if isinstance(step, dict)]
        if not any(command.strip() == "bash .ci/run" for command in commands):
            problems.append(f"job {name} does not run `bash .ci/run`")
        if any("swift build" in command or "swift test" in command for command in commands):
            problems.append(f"job {name} copies steps of .ci/run instead of running it")
# YAML reads the key `on` as the boolean True.
triggers = workflow.get("on", workflow.get(True)) if isinstance(workflow, dict) else None
if not triggers:
    problems.append("no triggers")

if problems:
    sys.exit(f"workflow-check: {path}: " + "; ".join(problems))
print(f"workflow-check: {path}: {len(jobs)} jobs, each running .ci/run")
