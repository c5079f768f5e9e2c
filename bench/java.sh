#!/usr/bin/env bash
# `java` with the environment ./tracelens gives the engine (core/runtime-env.sh: allocator, math-library dispatch, JIT
# directives), so a benchmark measures what a user runs; peers run in their own default environment.
# Usage: bench/java.sh [java args...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/core/runtime-env.sh"
exec java "${tracelens_jit[@]}" "$@"
