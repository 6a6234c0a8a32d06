# Posts a run's commit status: PHASE=start posts pending (GitLab: running); PHASE=end reads how the run's
# tasks ended (AGGREGATE: the aggregate status of the tasks; TASKS: `name=status/reason` words) and posts success, failure
# (naming the failed tasks) or, for a cancelled run, error (GitLab: canceled). A status that cannot be posted
# is logged and, unless REQUIRED=true, does not fail the step: the run's own result stands.

# every failure from here on (a bad input, an API that refuses) ends the step the same way
fail() {
  echo "commit status not posted: $*" >&2
  if [ "$REQUIRED" = true ]; then exit 1; fi
  echo "(status is not required: the run's result stands)" >&2
  exit 0
}

# the answers and the token's header live in a folder of this step's own, whatever the image mounts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
raw_token=${TOKEN:-}
unset TOKEN
clean_token "the status token (key 'token' of its Secret)"
unset raw_token
api_header

case "$COMMIT" in
  '') echo "no commit to report on (the run was not started by an event)"; exit 0 ;;
  *[!0-9a-f]*) fail "'$COMMIT' is not a commit (40 or 64 lowercase hex digits)" ;;
esac
[ "${#COMMIT}" -eq 40 ] || [ "${#COMMIT}" -eq 64 ] || fail "'$COMMIT' is not a commit (40 or 64 lowercase hex digits)"
case "$PROJECT" in
  ''|/*|*/|*//*|*[!A-Za-z0-9_./-]*) fail "'$PROJECT' is not a repository path" ;;
esac

# A JSON string of any value: backslashes and quotes escaped, control characters as spaces (the synth lets
# none through; an event's text could carry one), at most $2 characters. Escaped character by character:
# awks disagree on what a backslash in gsub's replacement means.
text() {
  printf '%s' "$1" | tr '\000-\037\177' '                                 ' | awk -v max="${2:-1000}" '
    { s = s $0 }
    END {
      if (length(s) > max) s = substr(s, 1, max - 3) "..."
      o = ""
      for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); o = o ((c == "\\" || c == "\"") ? "\\" c : c) }
      printf "\"%s\"", o
    }'
}

failed='' cancelled='' timed_out=''
if [ "$PHASE" = start ]; then
  state=pending
  description="$PIPELINE is running"
elif [ "$PHASE" = end ]; then
  # one word per task; names are DNS labels, statuses and reasons Tekton's words (split with globbing off)
  set -f
  for word in $TASKS; do
    name=${word%%=*} rest=${word#*=}
    st=${rest%%/*} reason=${rest#*/}
    case "$reason" in
      TaskRunCancelled|PipelineRunCancelled|Cancelled) cancelled=1 ;;
      FailureIgnored) ;; # onError: continue; the run goes on as if it passed
      *)
        if [ "$st" = Failed ]; then
          failed="$failed${failed:+, }$name"
          if [ "$reason" = TaskRunTimeout ]; then timed_out=1; fi
        fi ;;
    esac
  done
  set +f
  if [ -n "$cancelled" ]; then
    state=cancelled description="$PIPELINE was cancelled"
  elif [ -n "$failed" ]; then
    state=failure description="$PIPELINE failed: $failed${timed_out:+ (timed out)}"
  else
    case "$AGGREGATE" in
      Succeeded|Completed|Failed) state=success description="$PIPELINE succeeded" ;; # Failed: only ignored failures
      *) state=error description="$PIPELINE did not finish" ;;
    esac
  fi
else
  fail "unknown phase '$PHASE' (start or end)"
fi

# each host's words for the state
case "$PROVIDER:$state" in
  gitlab:pending) api_state=running ;;
  gitlab:failure|gitlab:error) api_state=failed ;;
  gitlab:cancelled) api_state=canceled ;;
  *:cancelled) api_state=error ;;
  *) api_state=$state ;;
esac

body="{\"state\": \"$api_state\", \"description\": $(text "$description" 140)"
if [ -n "$TARGET_URL" ]; then body="$body, \"target_url\": $(text "$TARGET_URL")"; fi
case "$PROVIDER" in
  gitlab)
    project=$(printf '%s' "$PROJECT" | sed 's|/|%2F|g')
    url="$API/projects/$project/statuses/$COMMIT"
    body="$body, \"name\": $(text "$CONTEXT" 255)}" ;;
  *)
    url="$API/repos/$PROJECT/statuses/$COMMIT"
    body="$body, \"context\": $(text "$CONTEXT" 255)}" ;;
esac

request POST "$url" "$body"
case "$status" in
  200|201) echo "posted $api_state for $COMMIT as '$CONTEXT': $description" ;;
  # GitLab refuses a transition to the state a status is in already ("Cannot transition status via :run from
  # :running"): a second delivery of the same event, which is done
  400) if [ "$PROVIDER" = gitlab ] && message_has 'Cannot transition status'; then
      echo "$COMMIT is $api_state as '$CONTEXT' already"
    else
      refused "posting $api_state for $COMMIT"
    fi ;;
  *) refused "posting $api_state for $COMMIT" ;;
esac
