# Writes $VERSION, which $FROM runs, into the fields of $TO marked for $APP: a commit pushed to $BRANCH, or
# (MODE=pull-request) to the branch promote/$APP/$TO of a pull request. It never lowers a target, never
# promotes a value $FROM no longer runs, never promotes a value a rollback took out of $TO (the commit's
# `Promotion-Rollback: $APP $TO $VERSION` line, anywhere in the branch's history), and every push is a
# compare-and-swap: a run that loses a race re-reads everything on the new head and decides again.
#
# The first hop (an entry): with FROM_PATH empty there is no source environment: $FROM names the build
# pipeline whose result $VERSION is (a DNS label, e.g. `build`), and only "$FROM still runs $VERSION" is not
# checked. Everything else holds: never lower, the same kind of value, never a rolled-back version, the
# compare-and-swap push; the same build's event twice makes one commit (the second run finds $TO running it).
case "$VERSION" in
  ''|*[!A-Za-z0-9._:/@+-]*) fail "refusing to promote the malformed version '$VERSION'" ;;
esac
entry=""
if [ -z "$FROM_PATH" ]; then entry=1; else check_path "$FROM_PATH"; fi
check_path "$TO_PATH"
check_label "environment name" "$FROM"
check_label "environment name" "$TO"
check_revision "$REVISION"
commit_target "promote/$APP/$TO"
subject="promote $APP $VERSION from $FROM to $TO"
if [ -n "$entry" ]; then
  body="$VERSION is a build's result ($FROM${REVISION:+ at $REVISION}): promoted to $TO, the first environment."
  request_body="$VERSION is a build's result ($FROM${REVISION:+ at $REVISION})."
else
  body="$FROM applied it at $REVISION."
  request_body="$FROM applied $VERSION at $REVISION."
fi
# the pull-request step's title and description
request_files() { # $1: the branch's commit
  printf '%s' "$target" > "$work/pull-request-branch"
  printf '%s' "$1" > "$work/pull-request-commit"
  printf '%s' "$subject" > "$work/pull-request-title"
  printf '%s' "$request_body" > "$work/pull-request-body"
}

nothing() { echo "$*"; printf none > "$PUSHED_RESULT"; exit 0; }
lower() { # $1 newer value, $2 where it is
  nothing "$2 holds $1, newer than $VERSION: a promotion never lowers a version (run it by hand if you mean to)"
}

attempt=0
while :; do
  attempt=$((attempt + 1))
  git_net fetch --quiet origin "+refs/heads/$BRANCH:refs/promotion/base" || fail "could not fetch $BRANCH within ${git_timeout}s"
  git checkout --quiet -B promotion refs/promotion/base
  # $FROM must still run $VERSION at the head: a run for an older revision that finishes last changes nothing
  if [ -z "$entry" ]; then
    scan_env "$FROM_PATH" || fail "$FROM at the head of $BRANCH: $scan_error"
    if [ "$scanned" != "$VERSION" ]; then
      nothing "$FROM runs $scanned at the head of $BRANCH, no longer $VERSION: nothing to promote (the run for that revision promotes it)"
    fi
  fi
  scan_env "$TO_PATH" || fail "$TO at the head of $BRANCH: $scan_error"
  current=$scanned
  if [ "$(value_kind "$current")" != "$(value_kind "$VERSION")" ]; then
    fail "$TO marks $current (a value of kind $(value_kind "$current")), but $FROM's value $VERSION is of kind $(value_kind "$VERSION"): mark the same kind of field (a tag, a digest or a whole image reference) in both environments"
  fi
  if [ "$current" = "$VERSION" ]; then nothing "$TO already runs $VERSION: nothing to promote"; fi
  undone=$(rolled_back refs/promotion/base "$TO" "$VERSION")
  if [ -n "$undone" ]; then
    nothing "$VERSION failed verification in $TO and was rolled back (commit $undone): not promoted again; promote a newer version"
  fi
  if [ "$(version_order "$VERSION" "$current")" = "<" ]; then lower "$current" "$TO"; fi

  lease=""
  if [ "$MODE" = pull-request ]; then
    pending_branch "$target"
    if [ -n "$pending_sha" ]; then
      git checkout --quiet -B pending refs/promotion/pending
      if scan_env "$TO_PATH"; then
        if [ "$scanned" = "$VERSION" ]; then
          request_files "$pending_sha"
          nothing "the branch $target of a pending request carries $VERSION already: nothing to push"
        fi
        if [ "$(version_order "$VERSION" "$scanned")" = "<" ]; then lower "$scanned" "the branch $target of a pending request"; fi
      fi
      git checkout --quiet promotion
      scan_env "$TO_PATH" || fail "$TO at the head of $BRANCH: $scan_error"
    fi
    # replaces the request's branch only if nobody moved it since it was read (empty: it must not exist)
    lease="--force-with-lease=refs/heads/$target:$pending_sha"
  fi

  rewrite_env "$VERSION"
  if git diff --quiet; then nothing "$TO already runs $VERSION: nothing to promote"; fi
  git commit --quiet -am "$subject" -m "$body"
  if push_head "$target" "$lease"; then
    git rev-parse HEAD | tr -d '\n' > "$PUSHED_RESULT"
    if [ "$MODE" = pull-request ]; then request_files "$(git rev-parse HEAD)"; fi
    echo "pushed $VERSION to $target"
    exit 0
  fi
  if [ "$attempt" -ge 5 ]; then fail "push to $target failed $attempt times"; fi
  echo "push to $target was rejected (a change landed first): redoing it on the new head" >&2
  sleep "$attempt"
done
