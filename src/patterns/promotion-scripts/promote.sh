# Writes $VERSION, which $FROM runs, into the fields of $TO marked for $APP: a commit pushed to $BRANCH, or
# (MODE=pull-request) to the branch promote/$APP/$TO of a pull request. It never lowers a target, never
# promotes a value $FROM no longer runs, and every push is a compare-and-swap: a run that loses a race
# re-reads everything on the new head and decides again.
case "$VERSION" in
  ''|*[!A-Za-z0-9._:/@+-]*) fail "refusing to promote the malformed version '$VERSION'" ;;
esac
check_path "$FROM_PATH"
check_path "$TO_PATH"
check_label "environment name" "$FROM"
check_label "environment name" "$TO"
# Only the two modes the synth writes: anything else is refused rather than taken for a push to $BRANCH.
case "$MODE" in
  push|pull-request) ;;
  *) fail "the mode '$MODE' is not push or pull-request" ;;
esac
git config user.name "cdk8s-tekton-flux promotion"
git config user.email "promotion@cdk8s-tekton-flux.invalid"
target="$BRANCH"
if [ "$MODE" = pull-request ]; then target="promote/$APP/$TO"; fi
git check-ref-format "refs/heads/$target" || fail "promote/$APP/$TO is not a valid branch name"
rm -f "$work/pull-request-branch" "$work/pull-request-commit"

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
  scan_env "$FROM_PATH" || fail "$FROM at the head of $BRANCH: $scan_error"
  if [ "$scanned" != "$VERSION" ]; then
    nothing "$FROM runs $scanned at the head of $BRANCH, no longer $VERSION: nothing to promote (the run for that revision promotes it)"
  fi
  scan_env "$TO_PATH" || fail "$TO at the head of $BRANCH: $scan_error"
  current=$scanned
  if [ "$(value_kind "$current")" != "$(value_kind "$VERSION")" ]; then
    fail "$TO marks $current (a value of kind $(value_kind "$current")), but $FROM's value $VERSION is of kind $(value_kind "$VERSION"): mark the same kind of field (a tag, a digest or a whole image reference) in both environments"
  fi
  if [ "$current" = "$VERSION" ]; then nothing "$TO already runs $VERSION: nothing to promote"; fi
  if [ "$(version_order "$VERSION" "$current")" = "<" ]; then lower "$current" "$TO"; fi

  lease=""
  if [ "$MODE" = pull-request ]; then
    # (ls-remote matches its pattern as a suffix, refs/heads/x/refs/heads/<target> too: only the exact ref counts)
    listed=$(git_net ls-remote origin "refs/heads/$target") || fail "could not list $target within ${git_timeout}s"
    pending_sha=$(printf '%s\n' "$listed" | REF="refs/heads/$target" awk -F "$tab" '$2 == ENVIRON["REF"] { print $1 }')
    if [ -n "$pending_sha" ]; then
      git_net fetch --quiet origin "+refs/heads/$target:refs/promotion/pending" || fail "could not fetch $target within ${git_timeout}s"
      git checkout --quiet -B pending refs/promotion/pending
      if scan_env "$TO_PATH"; then
        if [ "$scanned" = "$VERSION" ]; then
          printf '%s' "$target" > "$work/pull-request-branch"
          printf '%s' "$pending_sha" > "$work/pull-request-commit"
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
  git commit --quiet -am "promote $APP $VERSION from $FROM to $TO" -m "$FROM applied it at $REVISION."
  # Only a push that lost a race is redone on the new head: `[rejected]` (not a fast-forward, or a stale
  # lease), or the remote failing to update the ref because another push moved it meanwhile. Any other
  # failure (credentials, a hook that declines, a deadline) fails now, with git's message.
  if [ -n "$lease" ]; then pushed_ok() { git_net push --porcelain --quiet "$lease" origin "HEAD:refs/heads/$target" > "$work/push"; }
  else pushed_ok() { git_net push --porcelain --quiet origin "HEAD:refs/heads/$target" > "$work/push"; }
  fi
  if pushed_ok; then
    git rev-parse HEAD | tr -d '\n' > "$PUSHED_RESULT"
    if [ "$MODE" = pull-request ]; then
      printf '%s' "$target" > "$work/pull-request-branch"
      git rev-parse HEAD | tr -d '\n' > "$work/pull-request-commit"
    fi
    echo "pushed $VERSION to $target"
    exit 0
  fi
  if ! grep "^!${tab}HEAD:refs/heads/$target${tab}" "$work/push" \
      | grep -qe "${tab}\[rejected\]" -e "${tab}\[remote rejected\] (failed to update ref)" -e "${tab}\[remote rejected\] (.*cannot lock ref" -e "${tab}\[remote rejected\] (.*incorrect old value"; then
    fail "could not push to $target (within ${git_timeout}s): see git's message above"
  fi
  if [ "$attempt" -ge 5 ]; then fail "push to $target failed $attempt times"; fi
  echo "push to $target was rejected (a change landed first): redoing it on the new head" >&2
  sleep "$attempt"
done
