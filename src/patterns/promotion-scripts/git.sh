# The git steps: clone the config repository, and read and write its markers.
# git with the token (as an environment-borne header: never on a command line) and a deadline.
if [ -n "${GIT_TOKEN+x}" ]; then
  raw_token=$GIT_TOKEN
  clean_token "the git token (key 'token' of its Secret)"
  GIT_CONFIG_COUNT=1
  GIT_CONFIG_KEY_0=http.extraHeader
  GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$token" | base64 | tr -d '\n')"
  export GIT_CONFIG_COUNT GIT_CONFIG_KEY_0 GIT_CONFIG_VALUE_0
  unset GIT_TOKEN raw_token token
fi
# (a stalled transfer is ended by git's own transport as well: `timeout` ends git, not its remote helper)
git_stall=60
if [ "$git_timeout" -lt "$git_stall" ]; then git_stall=$git_timeout; fi
git_net() {
  timeout "$git_timeout" git -c http.lowSpeedLimit=1000 -c "http.lowSpeedTime=$git_stall" "$@"
}

check_branch "$BRANCH"
check_label app "$APP"
case "$REPOSITORY" in -*) fail "the repository URL '$REPOSITORY' starts with '-'" ;; esac
rm -rf "$work/repo"
mkdir -p "$work"
git_net clone --quiet --no-checkout --single-branch --branch "$BRANCH" -- "$REPOSITORY" "$work/repo" \
  || fail "could not clone $REPOSITORY (branch $BRANCH) within ${git_timeout}s: see git's message above"
cd "$work/repo"
marker='# {"$promotion": "'"$APP"'"}'
write_scanner "$work/scan.awk"
tab=$(printf '\t')
nl='
'

# commit_target REQUEST_BRANCH: what the writing steps (promote, rollback) start with: $MODE is one of the two the
# synth writes (anything else is refused rather than taken for a push to $BRANCH), the committer is set, and
# $target is the branch pushed to: $BRANCH, or REQUEST_BRANCH for a pull request; no request files are left over.
commit_target() {
  case "$MODE" in
    push|pull-request) ;;
    *) fail "the mode '$MODE' is not push or pull-request" ;;
  esac
  git config user.name "cdk8s-tekton-flux promotion"
  git config user.email "promotion@cdk8s-tekton-flux.invalid"
  target="$BRANCH"
  if [ "$MODE" = pull-request ]; then target=$1; fi
  git check-ref-format "refs/heads/$target" || fail "$1 is not a valid branch name"
  rm -f "$work/pull-request-branch" "$work/pull-request-commit" "$work/pull-request-title" "$work/pull-request-body"
}

# scan_env DIR: the one value marked in the YAML files under DIR, in $scanned; returns 1 with $scan_error
# set when there is none, more than one, a marker it refuses (with file and line), or a symbolic link (never
# followed: a link could point out of the repository, or at another environment's files).
scan_env() {
  dir=$1
  check_path "$dir"
  scanned=""
  if [ -L "$dir" ]; then scan_error="$dir is a symbolic link, and links are not followed: use the real folder"; return 1; fi
  if [ ! -d "$dir" ]; then scan_error="$dir is not a folder of the repository"; return 1; fi
  if [ "$(cd "$dir" && pwd -P)" != "$(pwd -P)/$dir" ]; then scan_error="$dir is inside a symbolic link, and links are not followed: use the real folder"; return 1; fi
  links=$(find "$dir" -type l | head -n 5 | tr '\n' ' ')
  if [ -n "$links" ]; then scan_error="$dir holds symbolic links ($links), and promotion never follows links: replace them with the files"; return 1; fi
  # A submodule's files are another repository's (and not checked out): a marker there can be neither read
  # nor written, so an environment that is or holds one is refused rather than read in part.
  if git ls-files --stage -- "$dir" | grep -q '^160000 '; then
    scan_error="$dir is a submodule or holds one: its files are another repository's; keep the environment's manifests in this one"; return 1
  fi
  # The file list is read line by line and the scan's lines are tab-separated: a name with a line break
  # would read as two paths (the second one relative to the repository's root), one with a tab would forge
  # a field of a scan line. No manifest needs either: such a name is refused.
  odd=$(find "$dir" -name '*[[:cntrl:]]*' | head -n 3 | tr '\n\t' '??')
  if [ -n "$odd" ]; then scan_error="$dir holds a file or folder with a control character in its name ($odd): rename it"; return 1; fi
  find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' \) > "$work/files"
  # Only *.yaml and *.yml are read as YAML; a marker in another file (a `Kustomization` without extension,
  # a `.YAML`) would be left behind while the others move: refused instead.
  others=$(find "$dir" -type f ! -name '*.yaml' ! -name '*.yml' -exec grep -lF '"$promotion"' {} + 2>/dev/null | while IFS= read -r o; do
    if grep -F '"$promotion"' "$o" | grep -qF "\"$APP\""; then printf '%s ' "$o"; fi
  done)
  if [ -n "$others" ]; then scan_error="$dir has the marker in ${others}but only *.yaml and *.yml files are read: rename the file, or remove the marker"; return 1; fi
  : > "$work/scan"
  while IFS= read -r f; do
    MARKER=$marker APP=$APP SCAN_MODE=scan SCAN_FILE=$f awk -f "$work/scan.awk" < "$f" >> "$work/scan" \
      || { scan_error="could not read $f"; return 1; }
  done < "$work/files"
  refused=$(awk -F "$tab" '$1 == "E" { print "  " $2 ":" $3 ": " $4 }' "$work/scan" | head -n 20)
  if [ -n "$refused" ]; then scan_error="these markers in $dir cannot be read as a \`key: value\` field:
$refused"; return 1; fi
  values=$(awk -F "$tab" '$1 == "V" { print $4 }' "$work/scan" | sort -u)
  count=$(printf '%s' "$values" | grep -c . || true)
  if [ "$count" = 0 ]; then scan_error="no field in $dir is marked $marker"; return 1; fi
  if [ "$count" != 1 ]; then scan_error="$dir has $count different values marked $marker ($(echo $values)): want exactly one"; return 1; fi
  scanned=$values
  awk -F "$tab" '$1 == "V" { print $2 }' "$work/scan" | sort -u > "$work/marked-files"
}

# rewrite_env VALUE: writes VALUE into every marked field that the last scan_env found.
rewrite_env() {
  while IFS= read -r f; do
    MARKER=$marker APP=$APP SCAN_MODE=write NEW_VALUE=$1 SCAN_FILE=$f NEWLINES=$(wc -l < "$f") awk -f "$work/scan.awk" < "$f" > "$work/rewritten" \
      || fail "could not rewrite $f"
    cat "$work/rewritten" > "$f"
  done < "$work/marked-files"
}

# The order of two values when both are semantic versions (1.4.2, v1.4.2-rc.1+build; or the same image with
# such tags): '<', '=' or '>'; '?' when they are not comparable as versions.
version_order() {
  A=$1 B=$2 awk '
    function lastcolon(s,   i) { for (i = length(s); i > 0; i--) { if (substr(s, i, 1) == ":") return i; if (substr(s, i, 1) == "/") return 0 } return 0 }
    function parse(v, parts,   plus, dash, pre) {
      sub(/^v/, "", v)
      plus = index(v, "+"); if (plus) v = substr(v, 1, plus - 1)
      dash = index(v, "-"); pre = ""
      if (dash) { pre = substr(v, dash + 1); v = substr(v, 1, dash - 1); if (pre !~ /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/) return 0 }
      if (v !~ /^[0-9]+\.[0-9]+\.[0-9]+$/) return 0
      split(v, parts, "."); parts[4] = pre
      return 1
    }
    function num(a, b) { sub(/^0+/, "", a); sub(/^0+/, "", b); if (length(a) != length(b)) return length(a) < length(b) ? -1 : 1; return (a "") < (b "") ? -1 : (a "") > (b "") ? 1 : 0 }
    function ident(a, b,   an, bn) {
      an = a ~ /^[0-9]+$/; bn = b ~ /^[0-9]+$/
      if (an && bn) return num(a, b)
      if (an != bn) return an ? -1 : 1
      return (a "") < (b "") ? -1 : (a "") > (b "") ? 1 : 0
    }
    function precmp(a, b,   x, y, n, m, i, c) {
      if (a == b) return 0
      if (a == "") return 1
      if (b == "") return -1
      n = split(a, x, "."); m = split(b, y, ".")
      for (i = 1; i <= n && i <= m; i++) { c = ident(x[i], y[i]); if (c) return c }
      return n < m ? -1 : n > m ? 1 : 0
    }
    BEGIN {
      a = ENVIRON["A"]; b = ENVIRON["B"]; i = lastcolon(a); j = lastcolon(b)
      if (i && j && substr(a, 1, i) == substr(b, 1, j) && index(a, "@") == 0 && index(b, "@") == 0) { a = substr(a, i + 1); b = substr(b, j + 1) }
      if (!parse(a, p) || !parse(b, q)) { print "?"; exit }
      c = num(p[1], q[1]); if (!c) c = num(p[2], q[2]); if (!c) c = num(p[3], q[3]); if (!c) c = precmp(p[4], q[4])
      print (c < 0 ? "<" : (c > 0 ? ">" : "="))
    }'
}

# What kind of value a marker holds: a tag (1.4.2), a digest (sha256:…) or a whole image reference.
value_kind() {
  case "$1" in
    *[!A-Za-z0-9_.+-]*) case "$1" in sha256:*|sha384:*|sha512:*) echo digest ;; *) echo image ;; esac ;;
    *) echo tag ;;
  esac
}

# A rollback records the version it undid in its commit message, a line of its own (the message's trailer):
#   Promotion-Rollback: <app> <env> <version>
# Every commit of a history counts (merged branches too, and a squashed request's message that quotes it).
# rolled_back REF ENV VERSION: the newest commit of REF's history that records VERSION for $APP in ENV, or nothing.
rolled_back() {
  trailer="Promotion-Rollback: $APP $2 $3"
  git log --format=%H -F --grep="$trailer" "$1" -- | while IFS= read -r sha; do
    if git log -1 --format=%B "$sha" | T=$trailer awk '{ sub(/\r$/, "") } $0 == ENVIRON["T"] { f = 1 } END { exit !f }'; then echo "$sha"; break; fi
  done
}
# failed_versions REF ENV: every version a rollback recorded for $APP in ENV in REF's history, one a line.
failed_versions() {
  git log --format=%B -F --grep="Promotion-Rollback: $APP $2 " "$1" -- | P="Promotion-Rollback: $APP $2 " awk '
    { sub(/\r$/, "") }
    index($0, ENVIRON["P"]) == 1 { v = substr($0, length(ENVIRON["P"]) + 1); if (v ~ /^[A-Za-z0-9._:\/@+-]+$/) print v }' | sort -u
}
# is_rollback COMMIT ENV: did COMMIT (or a commit it merged) record a rollback of $APP in ENV?
is_rollback() {
  if git rev-parse -q --verify "$1^1^{commit}" >/dev/null; then git log --format=%B "$1^1..$1" --; else git log -1 --format=%B "$1" --; fi \
    | P="Promotion-Rollback: $APP $2 " awk '{ sub(/\r$/, "") } index($0, ENVIRON["P"]) == 1 { f = 1 } END { exit !f }'
}

# pending_branch TARGET: the commit of refs/heads/TARGET on the remote in $pending_sha (empty: none); when
# there is one it is fetched as refs/promotion/pending.
pending_branch() {
  # (ls-remote matches its pattern as a suffix, refs/heads/x/refs/heads/<target> too: only the exact ref counts)
  listed=$(git_net ls-remote origin "refs/heads/$1") || fail "could not list $1 within ${git_timeout}s"
  pending_sha=$(printf '%s\n' "$listed" | REF="refs/heads/$1" awk -F "$tab" '$2 == ENVIRON["REF"] { print $1 }')
  if [ -n "$pending_sha" ]; then
    git_net fetch --quiet origin "+refs/heads/$1:refs/promotion/pending" || fail "could not fetch $1 within ${git_timeout}s"
  fi
}

# push_head TARGET [LEASE]: pushes HEAD to refs/heads/TARGET, a compare-and-swap (a fast-forward, or LEASE's
# --force-with-lease). 0: pushed; 1: the push lost a race (redo it on the new head): `[rejected]` (not a
# fast-forward, or a stale lease), or the remote failing to update the ref because another push moved it
# meanwhile. Any other failure (credentials, a hook that declines, a deadline) fails now, with git's message.
push_head() {
  if [ -n "${2:-}" ]; then
    git_net push --porcelain --quiet "$2" origin "HEAD:refs/heads/$1" > "$work/push" && return 0
  else
    git_net push --porcelain --quiet origin "HEAD:refs/heads/$1" > "$work/push" && return 0
  fi
  if ! grep "^!${tab}HEAD:refs/heads/$1${tab}" "$work/push" \
      | grep -qe "${tab}\[rejected\]" -e "${tab}\[remote rejected\] (failed to update ref)" -e "${tab}\[remote rejected\] (.*cannot lock ref" -e "${tab}\[remote rejected\] (.*incorrect old value"; then
    fail "could not push to $1 (within ${git_timeout}s): see git's message above"
  fi
  return 1
}
