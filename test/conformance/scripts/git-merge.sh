#!/bin/sh
# git init, commit, branch, merge and log with fixed names and dates: the
# commit ids are then fixed too.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
export HOME="$d" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL=author@example.org
export GIT_COMMITTER_NAME='C O Mitter' GIT_COMMITTER_EMAIL=committer@example.org
export GIT_AUTHOR_DATE='2001-02-03T04:05:06Z' GIT_COMMITTER_DATE='2001-02-03T04:05:06Z'
cd "$d"
git init -q -b main repo
cd repo
echo one >f; git add f; git commit -qm first
git branch feature; git checkout -q feature
echo two >g; git add g; git commit -qm second
git checkout -q main; echo three >>f; git commit -qam third
git merge -q --no-edit feature
git log --graph --format='%H %an <%ae> %cn %ad %s' --date=iso-strict
git branch --list
git gc -q
git count-objects -v | grep -E '^(count|in-pack):'
git fsck --no-progress 2>&1 && echo "fsck: ok"
