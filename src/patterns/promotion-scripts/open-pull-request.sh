# Opens the pull request (GitHub) or merge request (GitLab) for the branch the commit step pushed, or
# brings an open one's title and description up to date. Every answer is classified by what it says; only
# "a request for this branch is open already" counts as done without a new request.
# The commit step (promote.sh, rollback.sh) leaves the branch, its commit, and the request's title and
# description in the workspace; a step without the last two (an older promote step) has the promotion's
# title made from FROM, TO, VERSION and REVISION here.
[ -f "$work/pull-request-branch" ] || { echo "no branch was pushed: no pull request"; exit 0; }
head=$(cat "$work/pull-request-branch")
commit=$(cat "$work/pull-request-commit")
raw_token=$TOKEN
clean_token "the pull-request token (key 'token' of its Secret)"
unset TOKEN raw_token
check_label app "$APP"
# The request's title and description: the commit step's words and the values it checked (versions,
# revisions, names), with apostrophes, parentheses and line breaks; anything else is refused (here, not in
# the command substitution that encodes it, where a failure would not end the step).
nl='
'
check_text() {
  case "$1" in *[!A-Za-z0-9._:/@+\ \',\;\(\)"$nl"-]*) fail "refusing to send '$1' in a request: it has a character outside [A-Za-z0-9._:/@+ ',;()-] and line breaks" ;; esac
}
# ... as a JSON string (checked: no quote, backslash or control character but the line breaks)
json_text() {
  T=$1 awk 'BEGIN { n = split(ENVIRON["T"], l, "\n"); s = l[1]; for (i = 2; i <= n; i++) s = s "\\n" l[i]; printf "\"%s\"", s }'
}
if [ -f "$work/pull-request-title" ]; then
  title=$(cat "$work/pull-request-title")
  body=$(cat "$work/pull-request-body")
else
  check_label "environment name" "$FROM"
  check_label "environment name" "$TO"
  title="promote $APP $VERSION from $FROM to $TO"
  body="$FROM applied $VERSION at $REVISION."
fi
check_text "$title"
check_text "$body"
# the header holds the token, the answers may reflect it: neither outlives the step
trap 'rm -f "$work/.api-header" "$work/response" "$work/fields" "$work/curl-error"' EXIT
api_header

# Speaks for the branch only while it is at the commit this run pushed: a newer promotion that pushed after
# it owns the request (and its title) from then on.
still_ours() { # $1: the branch's head as the API reports it
  case "$1" in
    *[!0-9a-f]*|'') fail "the $PROVIDER API's answer about the branch $head names no commit: $(said)" ;;
  esac
  if [ "$1" != "$commit" ]; then
    echo "the branch $head is at $1 now, not at $commit that this run pushed: a newer promotion owns the request"
    exit 0
  fi
}
about() { # $1: the name the answer gives the branch, $2: the name asked for
  if [ -n "$1" ] && [ "$1" != "$2" ]; then fail "the $PROVIDER API's answer about the branch $head is about $1, not $2"; fi
}
# The number ($1: its field, number or iid) of the open request whose source branch ($2: its field) is $head,
# from a list answer: the first element that names $head; none when the answer is no list or names none.
listed() {
  F=$1 B=$2 H=$head awk -F "$tab" '
    { split($1, p, "."); if (p[1] !~ /^[0-9]+$/) next; e = p[1]; if (!(e in seen)) { seen[e] = 1; order[++n] = e } }
    $1 == e "." ENVIRON["F"] && $2 ~ /^[0-9]+$/ { num[e] = $2 }
    $1 == e "." ENVIRON["B"] && $2 == ENVIRON["H"] { ours[e] = 1 }
    END { for (j = 1; j <= n; j++) if ((order[j] in num) && (order[j] in ours)) { print num[order[j]]; exit } }' "$work/fields"
}

if [ "$PROVIDER" = github ]; then
  request GET "$API/repos/$PROJECT/git/ref/heads/$head"
  [ "$status" = 200 ] || refused "reading the branch $head"
  about "$(field ref)" "refs/heads/$head"
  still_ours "$(field object.sha)"
  owner=${PROJECT%%/*}
  request POST "$API/repos/$PROJECT/pulls" "{\"title\": $(json_text "$title"), \"head\": $(json "$head"), \"base\": $(json "$BRANCH"), \"body\": $(json_text "$body")}"
  case "$status" in
    201) number=$(field number); echo "opened: $title${number:+ (#$number)}"; exit 0 ;;
    # only GitHub's own words for this very branch: "A pull request already exists for <owner>:<head>."
    422) message_is "A pull request already exists for $owner:$head." || refused "opening the pull request" ;;
    *) refused "opening the pull request" ;;
  esac
  request GET "$API/repos/$PROJECT/pulls?head=$owner:$(query "$head")&base=$(query "$BRANCH")&state=open"
  [ "$status" = 200 ] || refused "listing the open pull requests of $head"
  number=$(listed number head.ref)
  [ -n "$number" ] || fail "the $PROVIDER API says a pull request for $head is open, but lists none: open it by hand, or run again"
  request PATCH "$API/repos/$PROJECT/pulls/$number" "{\"title\": $(json_text "$title"), \"body\": $(json_text "$body")}"
  [ "$status" = 200 ] || refused "updating pull request #$number"
  echo "pull request #$number for $head is open already: its branch and title now say: $title"
else
  project=$(printf '%s' "$PROJECT" | sed 's|/|%2F|g')
  request GET "$API/projects/$project/repository/branches/$(printf '%s' "$head" | sed 's|/|%2F|g')"
  [ "$status" = 200 ] || refused "reading the branch $head"
  about "$(field name)" "$head"
  still_ours "$(field commit.id)"
  request POST "$API/projects/$project/merge_requests" "{\"title\": $(json_text "$title"), \"source_branch\": $(json "$head"), \"target_branch\": $(json "$BRANCH"), \"description\": $(json_text "$body")}"
  case "$status" in
    201) iid=$(field iid); echo "opened: $title${iid:+ (!$iid)}"; exit 0 ;;
    # only GitLab's own words: "Another open merge request already exists for this source branch: !<iid>"
    409) message_has 'already exists for this source branch' || refused "opening the merge request" ;;
    *) refused "opening the merge request" ;;
  esac
  request GET "$API/projects/$project/merge_requests?source_branch=$(query "$head")&target_branch=$(query "$BRANCH")&state=opened"
  [ "$status" = 200 ] || refused "listing the open merge requests of $head"
  iid=$(listed iid source_branch)
  [ -n "$iid" ] || fail "the $PROVIDER API says a merge request for $head is open, but lists none: open it by hand, or run again"
  request PUT "$API/projects/$project/merge_requests/$iid" "{\"title\": $(json_text "$title"), \"description\": $(json_text "$body")}"
  [ "$status" = 200 ] || refused "updating merge request !$iid"
  echo "merge request !$iid for $head is open already: its branch and title now say: $title"
fi
