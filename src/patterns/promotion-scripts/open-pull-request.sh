# Opens the pull request (GitHub) or merge request (GitLab) for the branch the commit step pushed, or
# brings an open one's title and description up to date. Every answer is classified by what it says; only
# "a request for this branch is open already" counts as done without a new request.
[ -f "$work/pull-request-branch" ] || { echo "no branch was pushed: no pull request"; exit 0; }
head=$(cat "$work/pull-request-branch")
commit=$(cat "$work/pull-request-commit")
raw_token=$TOKEN
clean_token "the pull-request token (key 'token' of its Secret)"
unset TOKEN raw_token
case "$PROVIDER" in
  github) printf 'Authorization: Bearer %s\n' "$token" > "$work/.api-header" ;;
  gitlab) printf 'PRIVATE-TOKEN: %s\n' "$token" > "$work/.api-header" ;;
  *) fail "unknown provider '$PROVIDER'" ;;
esac

# A JSON string of a value the synth and the earlier steps validated (no quote, no backslash, no control).
json() {
  case "$1" in *[!A-Za-z0-9._:/@+\ -]*) fail "refusing to send '$1' in a request: it has a character outside [A-Za-z0-9._:/@+ -]" ;; esac
  printf '"%s"' "$1"
}

# request METHOD URL [BODY]: $status and $work/response. Connection failures, 429 and 5xx are retried
# (3 tries in all); each try is bounded by $http_timeout.
request() {
  method=$1 url=$2 data=${3:-}
  n=0
  while :; do
    n=$((n + 1))
    set -- -sS -o "$work/response" -w '%{http_code}' --max-time "$http_timeout" --connect-timeout 10 -X "$method" \
      -H @"$work/.api-header" -H 'Accept: application/json' -H 'Content-Type: application/json'
    if [ -n "$data" ]; then set -- "$@" --data-binary "$data"; fi
    : > "$work/response"
    status=$(curl "$@" -- "$url" 2>"$work/curl-error") || status=000
    case "$status" in
      000|429|5??) if [ "$n" -lt 3 ]; then echo "the $PROVIDER API answered ${status}: trying again" >&2; sleep "$n"; continue; fi ;;
    esac
    return 0
  done
}

# The "message" texts of the last answer: at most 300 characters, printable only, the token masked.
said() {
  TOKEN_TEXT=$token awk '
    { s = s $0 " " }
    END {
      t = ENVIRON["TOKEN_TEXT"]; out = ""; rest = s
      while (match(rest, /"message": *\[? *"[^"]*"/)) {
        m = substr(rest, RSTART, RLENGTH); sub(/^"message": *\[? *"/, "", m); sub(/"$/, "", m)
        out = out (out == "" ? "" : "; ") m; rest = substr(rest, RSTART + RLENGTH)
      }
      if (t != "") while ((i = index(out, t)) > 0) out = substr(out, 1, i - 1) "***" substr(out, i + length(t))
      gsub(/[^ -~]/, "?", out)
      print substr(out, 1, 300)
    }' "$work/response"
}
refused() { # the answer, as an error
  if [ "$status" = 000 ]; then fail "the $PROVIDER API at $API did not answer within ${http_timeout}s (3 tries): $(head -c 200 "$work/curl-error")"; fi
  fail "the $PROVIDER API answered $status to $1: $(said)"
}
first_string() { # $1: the field; the value of the first `"<field>": "<text>"` of the last answer
  F=$1 awk '{ s = s $0 } END { if (match(s, "\"" ENVIRON["F"] "\": *\"[^\"]*\"")) { m = substr(s, RSTART, RLENGTH); sub(/^[^:]*: *"/, "", m); sub(/"$/, "", m); print m } }' "$work/response"
}
# Speaks for the branch only while it is at the commit this run pushed: a newer promotion that pushed after
# it owns the request (and its title) from then on.
still_ours() { # $1: the branch's head as the API reports it
  [ -n "$1" ] || fail "the $PROVIDER API's answer about the branch $head names no commit: $(said)"
  if [ "$1" != "$commit" ]; then
    echo "the branch $head is at ${1:-nothing} now, not at $commit that this run pushed: a newer promotion owns the request"
    exit 0
  fi
}
first_number() { # $1: the field; the value of the first `"<field>": <digits>` of the last answer
  F=$1 awk '{ s = s $0 } END { if (match(s, "\"" ENVIRON["F"] "\": *[0-9]+")) { m = substr(s, RSTART, RLENGTH); sub(/^[^:]*: */, "", m); print m } }' "$work/response"
}

title="promote $APP $VERSION from $FROM to $TO"
body="$FROM applied $VERSION at $REVISION."
if [ "$PROVIDER" = github ]; then
  request GET "$API/repos/$PROJECT/git/ref/heads/$head"
  [ "$status" = 200 ] || refused "reading the branch $head"
  still_ours "$(first_string sha)"
  request POST "$API/repos/$PROJECT/pulls" "{\"title\": $(json "$title"), \"head\": $(json "$head"), \"base\": $(json "$BRANCH"), \"body\": $(json "$body")}"
  case "$status" in
    201) echo "opened: $title"; exit 0 ;;
    422) grep -q 'A pull request already exists for' "$work/response" || refused "opening the pull request" ;;
    *) refused "opening the pull request" ;;
  esac
  owner=${PROJECT%%/*}
  request GET "$API/repos/$PROJECT/pulls?head=$owner:$head&base=$BRANCH&state=open"
  [ "$status" = 200 ] || refused "listing the open pull requests of $head"
  number=$(first_number number)
  [ -n "$number" ] || fail "the $PROVIDER API says a pull request for $head is open, but lists none: open it by hand, or run again"
  request PATCH "$API/repos/$PROJECT/pulls/$number" "{\"title\": $(json "$title"), \"body\": $(json "$body")}"
  [ "$status" = 200 ] || refused "updating pull request #$number"
  echo "pull request #$number for $head is open already: its branch and title now say $VERSION"
else
  project=$(printf '%s' "$PROJECT" | sed 's|/|%2F|g')
  request GET "$API/projects/$project/repository/branches/$(printf '%s' "$head" | sed 's|/|%2F|g')"
  [ "$status" = 200 ] || refused "reading the branch $head"
  still_ours "$(awk '{ s = s $0 } END { if (match(s, /"commit": *\{[^}]*"id": *"[0-9a-f]+"/)) { m = substr(s, RSTART, RLENGTH); sub(/.*"id": *"/, "", m); sub(/"$/, "", m); print m } }' "$work/response")"
  request POST "$API/projects/$project/merge_requests" "{\"title\": $(json "$title"), \"source_branch\": $(json "$head"), \"target_branch\": $(json "$BRANCH"), \"description\": $(json "$body")}"
  case "$status" in
    201) echo "opened: $title"; exit 0 ;;
    409) grep -q 'already exists for this source branch' "$work/response" || refused "opening the merge request" ;;
    *) refused "opening the merge request" ;;
  esac
  request GET "$API/projects/$project/merge_requests?source_branch=$head&target_branch=$BRANCH&state=opened"
  [ "$status" = 200 ] || refused "listing the open merge requests of $head"
  iid=$(first_number iid)
  [ -n "$iid" ] || fail "the $PROVIDER API says a merge request for $head is open, but lists none: open it by hand, or run again"
  request PUT "$API/projects/$project/merge_requests/$iid" "{\"title\": $(json "$title"), \"description\": $(json "$body")}"
  [ "$status" = 200 ] || refused "updating merge request !$iid"
  echo "merge request !$iid for $head is open already: its branch and title now say $VERSION"
fi
