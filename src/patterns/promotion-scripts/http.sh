# What the steps that call a Git host's API share (pull requests, commit statuses): the token's header, JSON
# strings, requests that are bounded and retried, and answers read as JSON, shown with the token masked.
# Needs common.sh first; the caller sets PROVIDER (github, gitlab or gitea), API and $token (clean_token).

# Writes the header that carries $token into $work/.api-header (the caller removes it on exit): on curl's
# command line (`-H @file`) it would show in the process list.
api_header() {
  case "$PROVIDER" in
    github) printf 'Authorization: Bearer %s\n' "$token" > "$work/.api-header" ;;
    gitlab) printf 'PRIVATE-TOKEN: %s\n' "$token" > "$work/.api-header" ;;
    gitea) printf 'Authorization: token %s\n' "$token" > "$work/.api-header" ;;
    *) fail "unknown provider '$PROVIDER'" ;;
  esac
}

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
      000|429|5??) if [ "$n" -lt 3 ]; then echo "the $PROVIDER API answered ${status}: trying again" >&2; sleep $((n * retry_delay)); continue; fi ;;
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

# messages: the last answer's message texts, one a line
messages() { awk -F "$tab" '$1 ~ /^message(\.|$)/ || $1 ~ /(^|\.)errors\.[0-9]+\.message$/ { print $2 }' "$work/fields"; }
message_is() { messages | grep -qxF -e "$1"; }  # one of them is exactly $1
message_has() { messages | grep -qF -e "$1"; } # one of them contains $1
