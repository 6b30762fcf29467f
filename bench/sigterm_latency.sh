#!/bin/bash
# Starts an export of the bombs, sends SIGTERM once the export has been decoding for 2 s, and prints the time from the signal to the exit.
BS=$1; rm -rf out2
$BS export bombs --out out2 --labels none 2>err.txt &
pid=$!
sleep 2
t0=$(date +%s.%N); kill -TERM $pid; wait $pid; rc=$?; t1=$(date +%s.%N)
echo "rc=$rc signal-to-exit $(echo "($t1-$t0)*1000" | bc) ms"; tail -1 err.txt; ls out2 2>/dev/null | head
