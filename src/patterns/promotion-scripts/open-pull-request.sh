# Opens the pull request (GitHub) or merge request (GitLab) for the branch the commit step pushed, or
# brings an open one's title and description up to date. Every answer is classified by what it says; only
# "a request for this branch is open already" counts as done without a new request.
[ -f "$work/pull-request-branch" ] || { echo "no branch was pushed: no pull request"; exit 0; }
head=$(cat "$work/pull-request-branch")
commit=$(cat "$work/pull-request-commit")
raw_token=$TOKEN
clean_token "the pull-request token (key 'token' of its Secret)"
unset TOKEN raw_token
check_label app "$APP"
check_label "environment name" "$FROM"
check_label "environment name" "$TO"
# the header holds the token, the answers may reflect it: neither outlives the step
trap 'rm -f "$work/.api-header" "$work/response" "$work/fields" "$work/curl-error"' EXIT
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

# A value in a query string: '+' would read as a space there (the charset the synth admits has no other
# character a query gives a meaning to).
query() { printf '%s' "$1" | sed 's/+/%2B/g'; }

# The token as a reflecting server could show it: as is, percent-encoded, and the part of its base64 that
# is the same whatever comes before or after it (at each of base64's three alignments). said() masks each.
masks() {
  printf '%s\n' "$token"
  printf '%s' "$token" | awk '{ n = length($0); for (i = 1; i <= n; i++) { c = substr($0, i, 1); if (c ~ /[A-Za-z0-9._~-]/) o = o c; else o = o sprintf("%%%02X", index(" !\"#$%&\047()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~", c) + 31) } print o; print tolower(o) }'
  for pad in '' x xx; do
    b=$(printf '%s%s' "$pad" "$token" | base64 | tr -d '\n=')
    # the first 4 characters hold the pad's bits (when there is one), the last 4 those of what follows
    if [ -n "$pad" ]; then b=${b#????}; fi
    b=${b%????}
    if [ "${#b}" -ge 6 ]; then printf '%s\n' "$b"; fi
  done
}

# The last answer as JSON, one `path<TAB>value` line per scalar (path: keys and indexes joined by '.',
# e.g. `object.sha`, `0.number`, `errors.0.message`; strings decoded, anything unprintable as '?'), in
# $work/fields; a single line `!` when the answer is not JSON. The fields are read by their place in the
# answer's structure, never by a pattern over its text: `"number"` of a milestone is not the request's.
parse_json() {
  awk '
    function ws() { while (i <= n && index(" \t\r\n", substr(s, i, 1))) i++ }
    function hex(h,   v, k, d) {
      v = 0
      for (k = 1; k <= 4; k++) { d = index("0123456789abcdef", tolower(substr(h, k, 1))); if (!d) return -1; v = v * 16 + d - 1 }
      return v
    }
    function str(   c, v) {
      i++; sv = ""
      while (i <= n) {
        c = substr(s, i, 1)
        if (c == "\"") { i++; return 1 }
        if (c == "\\") {
          c = substr(s, i + 1, 1); i += 2
          if (c == "u") { v = hex(substr(s, i, 4)); if (v < 0) return 0; i += 4; sv = sv (v >= 32 && v < 127 ? sprintf("%c", v) : "?"); continue }
          if (c == "\"" || c == "\\" || c == "/") { sv = sv c; continue }
          if (index("bfnrt", c) && c != "") { sv = sv " "; continue }
          return 0
        }
        sv = sv c; i++
      }
      return 0
    }
    function emit(p, v) { gsub(/[^ -~]/, "?", v); out = out p "\t" v "\n" }
    function value(p,   c, k, idx) {
      if (++deep > 64) return 0
      ws(); c = substr(s, i, 1)
      if (c == "{") {
        i++; ws()
        if (substr(s, i, 1) == "}") { i++; deep--; return 1 }
        for (;;) {
          ws(); if (substr(s, i, 1) != "\"" || !str()) return 0
          k = sv; ws(); if (substr(s, i, 1) != ":") return 0
          i++; if (!value(p == "" ? k : p "." k)) return 0
          ws(); c = substr(s, i, 1); i++
          if (c == "}") { deep--; return 1 }
          if (c != ",") return 0
        }
      }
      if (c == "[") {
        i++; ws(); idx = 0
        if (substr(s, i, 1) == "]") { i++; deep--; return 1 }
        for (;;) {
          if (!value(p == "" ? idx : p "." idx)) return 0
          idx++; ws(); c = substr(s, i, 1); i++
          if (c == "]") { deep--; return 1 }
          if (c != ",") return 0
        }
      }
      if (c == "\"") { if (!str()) return 0; emit(p, sv); deep--; return 1 }
      if (match(substr(s, i, 64), /^(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null)/)) {
        emit(p, substr(s, i, RLENGTH)); i += RLENGTH; deep--; return 1
      }
      return 0
    }
    { s = s $0 "\n" }
    END {
      n = length(s); i = 1; out = ""; deep = 0
      if (value("")) { ws(); if (i > n) { printf "%s", out; exit } }
      print "!"
    }' "$work/response" > "$work/fields"
}
# field PATH: the value at PATH of the last answer (empty when there is none)
field() { P=$1 awk -F "$tab" '$1 == ENVIRON["P"] { print $2; exit }' "$work/fields"; }
tab=$(printf '\t')

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
    parse_json
    return 0
  done
}

# The messages of the last answer (`message`, its parts, each `errors.N.message`, `error` and
# `error_description`), or the start of the answer when it is not JSON: at most 300 characters, printable
# only, the token masked in each form masks() gives (escapes are decoded before: `\/` or `\u0073` hide nothing).
said() {
  masks > "$work/masks"
  if [ "$(head -n 1 "$work/fields")" = "!" ]; then
    printf 'the answer is not JSON: '; tr '\n\r\t' '   ' < "$work/response" | head -c 200
  else
    { messages; awk -F "$tab" '$1 == "error" || $1 == "error_description" { print $2 }' "$work/fields"; }
  fi | awk '
    FNR == NR { if ($0 != "") m[++k] = $0; next }
    { out = out (out == "" ? "" : "; ") $0 }
    END {
      for (j = 1; j <= k; j++) { t = m[j]; while ((i = index(out, t)) > 0) out = substr(out, 1, i - 1) "***" substr(out, i + length(t)) }
      gsub(/[^ -~]/, "?", out)
      print substr(out, 1, 300)
    }' "$work/masks" -
  rm -f "$work/masks"
}
refused() { # the answer, as an error
  if [ "$status" = 000 ]; then fail "the $PROVIDER API at $API did not answer within ${http_timeout}s (3 tries): $(head -c 200 "$work/curl-error")"; fi
  fail "the $PROVIDER API answered $status to $1: $(said)"
}
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
# messages: the last answer's message texts, one a line
messages() { awk -F "$tab" '$1 ~ /^message(\.|$)/ || $1 ~ /(^|\.)errors\.[0-9]+\.message$/ { print $2 }' "$work/fields"; }
message_is() { messages | grep -qxF -e "$1"; }  # one of them is exactly $1
message_has() { messages | grep -qF -e "$1"; } # one of them contains $1

title="promote $APP $VERSION from $FROM to $TO"
body="$FROM applied $VERSION at $REVISION."
if [ "$PROVIDER" = github ]; then
  request GET "$API/repos/$PROJECT/git/ref/heads/$head"
  [ "$status" = 200 ] || refused "reading the branch $head"
  about "$(field ref)" "refs/heads/$head"
  still_ours "$(field object.sha)"
  owner=${PROJECT%%/*}
  request POST "$API/repos/$PROJECT/pulls" "{\"title\": $(json "$title"), \"head\": $(json "$head"), \"base\": $(json "$BRANCH"), \"body\": $(json "$body")}"
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
  request PATCH "$API/repos/$PROJECT/pulls/$number" "{\"title\": $(json "$title"), \"body\": $(json "$body")}"
  [ "$status" = 200 ] || refused "updating pull request #$number"
  echo "pull request #$number for $head is open already: its branch and title now say $VERSION"
else
  project=$(printf '%s' "$PROJECT" | sed 's|/|%2F|g')
  request GET "$API/projects/$project/repository/branches/$(printf '%s' "$head" | sed 's|/|%2F|g')"
  [ "$status" = 200 ] || refused "reading the branch $head"
  about "$(field name)" "$head"
  still_ours "$(field commit.id)"
  request POST "$API/projects/$project/merge_requests" "{\"title\": $(json "$title"), \"source_branch\": $(json "$head"), \"target_branch\": $(json "$BRANCH"), \"description\": $(json "$body")}"
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
  request PUT "$API/projects/$project/merge_requests/$iid" "{\"title\": $(json "$title"), \"description\": $(json "$body")}"
  [ "$status" = 200 ] || refused "updating merge request !$iid"
  echo "merge request !$iid for $head is open already: its branch and title now say $VERSION"
fi
