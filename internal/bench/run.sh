#!/usr/bin/env bash
# Regenerates BENCHMARKS.md at the repository root: benchmarks (summarised with benchstat), loopback load test
# and dedupe memory check. Flags go to cmd/benchreport; -quick prints rough figures without writing the file.
set -euo pipefail
cd "$(dirname "$0")"
exec go run ./cmd/benchreport "$@"
