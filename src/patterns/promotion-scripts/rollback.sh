# Sets $ENVIRONMENT back to the version it ran before $VERSION, whose verification failed there (at the config
# revision $REVISION): one commit that writes that version into the fields under $ENV_PATH marked for $APP,
# pushed to $BRANCH, or (MODE=pull-request) to the branch rollback/$APP/$ENVIRONMENT of a pull request that
# the next step opens. The commit says what it undid in a line of its own, which later runs read:
#
#   Promotion-Rollback: <app> <environment> <version>
#
# - Nothing to do when the head of $BRANCH no longer runs $VERSION there (a newer version, or this rollback
#   already made: the same event twice makes one commit).
# - The version restored is the one $ENVIRONMENT ran before the commit C of its first-parent history (the
#   last 500 that changed $ENV_PATH) at which it last became $VERSION, skipping every version a rollback of
#   $ENVIRONMENT recorded, and $VERSION itself. None: the step fails, and the environment stays as it is.
# - Never a loop: when C is itself a rollback (the version that now fails was the one a rollback restored),
#   nothing is rolled back further: the environment needs a person; nor when $VERSION was rolled back out of
#   $ENVIRONMENT before and came back (image automation writes its newest tag again): that would loop with it.
# - Every push is a compare-and-swap: a run that loses a race re-reads everything on the new head.
# Result: the version restored (by this run's commit, or by the pending request's branch), or `none`.
case "$VERSION" in
  ''|*[!A-Za-z0-9._:/@+-]*) fail "refusing to roll back the malformed version '$VERSION'" ;;
esac
check_label environment "$ENVIRONMENT"
check_path "$ENV_PATH"
check_revision "$REVISION"
commit_target "rollback/$APP/$ENVIRONMENT"
history=500
trailer="Promotion-Rollback: $APP $ENVIRONMENT $VERSION"

nothing() { echo "$*"; printf none > "$ROLLED_BACK_RESULT"; exit 0; }
is_failed() { printf '%s\n' "$failed" | grep -qxF -e "$1"; }
# the pull-request step's branch, commit, title and description
request_files() { # $1: the branch's commit
  printf '%s' "$target" > "$work/pull-request-branch"
  printf '%s' "$1" > "$work/pull-request-commit"
  printf '%s' "$subject" > "$work/pull-request-title"
  printf '%s\n\n%s' "$body" "$trailer" > "$work/pull-request-body"
}

attempt=0
while :; do
  attempt=$((attempt + 1))
  git_net fetch --quiet origin "+refs/heads/$BRANCH:refs/promotion/base" || fail "could not fetch $BRANCH within ${git_timeout}s"
  git -c advice.detachedHead=false checkout --quiet --detach refs/promotion/base
  scan_env "$ENV_PATH" || fail "$ENVIRONMENT at the head of $BRANCH: $scan_error"
  if [ "$scanned" != "$VERSION" ]; then
    nothing "$ENVIRONMENT runs $scanned at the head of $BRANCH, no longer $VERSION: nothing to roll back"
  fi
  failed="$(failed_versions refs/promotion/base "$ENVIRONMENT")"
  # $VERSION was rolled back out of $ENVIRONMENT before and came back (image automation writing its policy's newest
  # tag again, or a person): rolling back again would loop with that writer
  if is_failed "$VERSION"; then
    nothing "$VERSION was rolled back out of $ENVIRONMENT before and is back (by image automation or by hand); not rolling back again," \
      "which would loop with whatever writes it: exclude $VERSION from the ImagePolicy, or fix $ENVIRONMENT by hand"
  fi
  failed="$failed$nl$VERSION"

  # The values $ENVIRONMENT ran, newest first: before each commit that changed its folder, the value at the
  # commit's first parent. C is the first whose parent did not run $VERSION; the restored value is the first
  # value from there on that no rollback recorded as failed.
  git log --first-parent --format=%H -n "$history" refs/promotion/base -- "$ENV_PATH" > "$work/changes"
  C=""; restore=""; skipped=""; stop=""; seen=0
  exec 3< "$work/changes"
  while IFS= read -r sha <&3; do
    seen=$((seen + 1))
    before=""
    if ! git rev-parse -q --verify "$sha^1^{commit}" >/dev/null; then
      why="$sha is the first commit of $BRANCH"
    else
      git -c advice.detachedHead=false checkout --quiet --detach "$sha^1"
      if scan_env "$ENV_PATH"; then before=$scanned; else why="before $sha: $scan_error"; fi
    fi
    if [ -z "$C" ]; then
      if [ "$before" = "$VERSION" ]; then continue; fi
      C=$sha
      if is_rollback "$C" "$ENVIRONMENT"; then
        exec 3<&-
        nothing "$ENVIRONMENT runs $VERSION since $C, and $VERSION was restored by a rollback ($C); not rolling back further: fix $ENVIRONMENT by hand"
      fi
    fi
    if [ -z "$before" ]; then stop=$why; break; fi
    if is_failed "$before"; then
      case " $skipped " in *" $before "*) ;; *) skipped="$skipped $before" ;; esac
      continue
    fi
    restore=$before
    break
  done
  exec 3<&-
  if [ -z "$C" ]; then
    fail "no earlier version of $APP in $ENVIRONMENT passed verification: it has run $VERSION through the last $seen commits that changed $ENV_PATH"
  fi
  if [ -z "$restore" ]; then
    if [ -z "$stop" ]; then stop="the last $history commits that changed $ENV_PATH hold no other"; fi
    fail "no earlier version of $APP in $ENVIRONMENT passed verification: it runs $VERSION since $C${skipped:+, and before it ran$skipped, which failed verification there}; $stop"
  fi
  if [ "$(value_kind "$restore")" != "$(value_kind "$VERSION")" ]; then
    fail "$ENVIRONMENT ran $restore before $C (a value of kind $(value_kind "$restore")), but marks $VERSION now (of kind $(value_kind "$VERSION")): set it back by hand"
  fi

  subject="rollback $APP in $ENVIRONMENT to $restore"
  body="$ENVIRONMENT's verification of $VERSION failed${REVISION:+ (at $REVISION)}: set back to $restore, the version it ran before $VERSION."
  if [ -n "$skipped" ]; then body="$body Skipped:$skipped, which failed verification in $ENVIRONMENT before."; fi
  git checkout --quiet -B promotion refs/promotion/base
  scan_env "$ENV_PATH" || fail "$ENVIRONMENT at the head of $BRANCH: $scan_error"

  lease=""
  if [ "$MODE" = pull-request ]; then
    pending_branch "$target"
    if [ -n "$pending_sha" ]; then
      git -c advice.detachedHead=false checkout --quiet --detach refs/promotion/pending
      if scan_env "$ENV_PATH" && [ "$scanned" = "$restore" ] \
          && git log -1 --format=%B refs/promotion/pending | T=$trailer awk '{ sub(/\r$/, "") } $0 == ENVIRON["T"] { f = 1 } END { exit !f }'; then
        request_files "$pending_sha"
        printf '%s' "$restore" > "$ROLLED_BACK_RESULT"
        echo "the branch $target of a pending request sets $ENVIRONMENT back to $restore already: nothing to push"
        exit 0
      fi
      git checkout --quiet promotion
      scan_env "$ENV_PATH" || fail "$ENVIRONMENT at the head of $BRANCH: $scan_error"
    fi
    # replaces the request's branch only if nobody moved it since it was read (empty: it must not exist)
    lease="--force-with-lease=refs/heads/$target:$pending_sha"
  fi

  rewrite_env "$restore"
  if git diff --quiet; then fail "writing $restore into $ENV_PATH changed nothing"; fi
  git commit --quiet -am "$subject" -m "$body" -m "$trailer"
  if push_head "$target" "$lease"; then
    printf '%s' "$restore" > "$ROLLED_BACK_RESULT"
    if [ "$MODE" = pull-request ]; then request_files "$(git rev-parse HEAD)"; fi
    echo "pushed to $target: $subject (the version it ran before $VERSION)"
    exit 0
  fi
  if [ "$attempt" -ge 5 ]; then fail "push to $target failed $attempt times"; fi
  echo "push to $target was rejected (a change landed first): redoing it on the new head" >&2
  sleep "$attempt"
done
