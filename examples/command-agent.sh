#!/bin/sh
# A minimal Orch `command` agent: it writes the artifact each stage's gate reads (docs/agents.md).
# It does no real work — a real agent reads the prompt and changes the code — but what it writes
# passes the gates, so it shows the contract end to end.
#
# orch.config.yaml:
#   agents:
#     defaults:
#       adapter: command
#       command: [/abs/path/to/examples/command-agent.sh, "{role}", "{taskFile}"]
#
# Orch runs it in the task's worktree (the working directory) with stdin closed, then commits and
# pushes whatever it wrote. Exit 0 = success. The last line is the optional result line that
# reports cost and tokens (when a result line is printed, it decides instead of the exit code).
set -eu

role="$1"
task_file="$2"

# The task file starts with YAML frontmatter (workItemId, stage, attempt…), then the prompt.
field() { sed -n "s/^$1: *//p" "$task_file" | head -n 1 | tr -d "\"'"; }
id="$(field workItemId)"
stage="$(field stage)"
dir="docs/work-items/$id"
mkdir -p "$dir"

case "$role" in
  analyst)
    echo "# Business requirements ($id): what the item asks for." >"$dir/01-brd.md"
    echo "# Technical requirements: what must change, and where." >"$dir/02-trz.md"
    echo "- AC-1: the change is visible to the user." >"$dir/03-acceptance-criteria.md"
    cat >"$dir/04-test-plan.yaml" <<YAML
tests:
  - id: T-1
    covers: AC-1
    description: the change is visible to the user
YAML
    ;;
  architect)
    mkdir -p "$dir/06-adr"
    echo "# ADR-001: change the smallest module that does the job" >"$dir/06-adr/ADR-001-design.md"
    ;;
  developer)
    : # a real developer edits code here; the gate runs the project's test command
    ;;
  reviewer)
    cat >"$dir/12-review.md" <<MD
---
verdict: APPROVED
---
# Review ($id)

## Findings

None.
MD
    ;;
  tester)
    cat >"$dir/13-test-report.md" <<MD
---
result: PASS
---
# Test report ($id)

- T-1: pass
MD
    ;;
  deployer)
    if [ "$stage" = "deploy-staging" ]; then
      printf '%s\n' '---' 'staging_status: SUCCESS' '---' "# Staging deploy ($id)" >"$dir/15-staging-log.md"
    else
      printf '%s\n' '---' 'deploy_status: SUCCESS' '---' "# Production deploy ($id)" >"$dir/14-deploy-log.md"
    fi
    ;;
  *)
    echo "command-agent.sh: no artifacts for role $role" >&2
    exit 2
    ;;
esac

# Optional: one Claude-style stream-json result line with what the run cost (nothing: no model).
echo '{"type":"result","subtype":"success","is_error":false,"result":"'"$role"' done","total_cost_usd":0,"usage":{"input_tokens":0,"output_tokens":0}}'
