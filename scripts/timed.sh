#!/bin/sh
# `timed.sh NAME COMMAND...`: run COMMAND, then print how long the phase NAME took
# (CI logs show where the time goes). Exits with COMMAND's status.
name=$1
shift
start=$(date +%s)
status=0
"$@" || status=$?
echo "phase $name: $(( $(date +%s) - start ))s (exit $status)"
exit $status
