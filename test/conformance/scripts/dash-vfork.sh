# dash runs external commands with vfork (dash >= 0.5.11): simple commands,
# a failing one, command substitution, a pipeline, a missing program.
for i in 1 2 3; do /bin/echo "external $i"; done
/bin/true && echo "true: ok"
/bin/false || echo "false: $?"
x=$(/bin/echo captured); echo "substitution: $x"
/bin/sh -c 'exit 9'; echo "sh -c 'exit 9': $?"
/nonexistent/prog 2>/dev/null; echo "missing: $?"
/bin/echo abc | /usr/bin/tr a-c x-z
/bin/sh -c 'kill -USR2 $$'; echo "killed by USR2: $?"
exit 3
