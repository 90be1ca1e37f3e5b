#!/bin/bash
# The program stops itself: a child shell sends it SIGSTOP, sees it stopped
# (/proc state T, or t when traced: README), and sends SIGCONT; the program's
# CONT trap runs once and it goes on.
trap 'echo "parent: CONT trap"' CONT
echo "parent: running"
sh -c 'kill -STOP $PPID
  until s=$(cut -d" " -f3 /proc/$PPID/stat); [ "$s" = T ] || [ "$s" = t ]; do sleep 0.01; done
  echo "child: parent is stopped"
  echo "child: sending CONT"
  kill -CONT $PPID'
echo "parent: child status $?"
