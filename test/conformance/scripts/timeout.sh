#!/bin/bash
# timeout(1): expiry (124), -k after an ignored TERM (SIGKILL, 137),
# --foreground, a command that ends in time, and --preserve-status.
timeout 0.3 sleep 10; echo "timeout: $?"
timeout -s TERM -k 0.5 0.5 sh -c 'trap "" TERM; echo "ignoring TERM"; sleep 10'; echo "timeout -k: $?"
timeout --foreground 0.3 sleep 10; echo "timeout --foreground: $?"
timeout 10 sh -c 'exit 7'; echo "in time: $?"
timeout --preserve-status -s USR1 0.3 sleep 10; echo "timeout --preserve-status: $?"
