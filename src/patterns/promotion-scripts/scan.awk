# The promotion marker scanner: reads YAML files line by line as YAML, not as text, and finds the fields
# marked with MARKER (`# {"$promotion": "<app>"}`). Runs under BusyBox awk (alpine/git) and GNU awk alike:
# POSIX awk only, no interval expressions, no -v (it would interpret backslashes): input comes from ENVIRON.
#
#   SCAN_MODE=scan   prints, per marker, `V<TAB>file<TAB>line<TAB>value` for a well-formed one and
#                    `E<TAB>file<TAB>line<TAB>why` for one it refuses; nothing else
#   SCAN_MODE=write  prints the file with every well-formed marked value replaced by NEW_VALUE (run only
#                    after a scan found no E line), byte for byte the same elsewhere: a byte-order mark, CRLF
#                    line ends and a last line without a line break (NEWLINES: the file's count of line
#                    breaks, from `wc -l`) are kept
#
# A marker is well-formed only as the comment, on its own, of a block mapping's `key: value` entry whose
# value is a scalar on that line (plain, or quoted without escapes) of the version charset:
#
#   newTag: 1.4.2 # {"$promotion": "web"}
#   - newTag: "1.4.2" # {"$promotion": "web"}
#
# The comment may also be the marker of Flux's image automation with this one in the same object, spaced as
# Flux's docs write it, in either order (Flux reads the whole object, and ignores the "$promotion" key):
#
#   newTag: 1.4.2 # {"$imagepolicy": "flux-system:web:tag", "$promotion": "web"}
#   newTag: 1.4.2 # {"$promotion": "web", "$imagepolicy": "flux-system:web:tag"}
#
# with a policy of `<namespace>:<name>` and optionally `:tag`, `:name` or `:digest`. A rewrite keeps the
# comment byte for byte.
#
# Everything else that mentions the marker is refused with the line: a list item (`- 1.3.0 # …`), a flow
# collection (`images: [{newTag: 1.3.0}] # …`), a line inside a block scalar (`script: |`), a multi-line
# quoted string or flow collection, the marker inside a value, or a comment that is not exactly the marker.
# A tab in the marked line's indentation or between `key:` and the value is refused too: YAML forbids tabs as
# indentation, and parsers disagree on them after the colon (PyYAML refuses, Go's accepts), so no reading of
# such a line is safe to rewrite.
BEGIN {
  file = ENVIRON["SCAN_FILE"]; marker = ENVIRON["MARKER"]; app = ENVIRON["APP"]; mode = ENVIRON["SCAN_MODE"]; newvalue = ENVIRON["NEW_VALUE"]
  VALUE = "^[A-Za-z0-9._:/@+-]+$"
  # a plain key: words of these characters, single spaces between them (`new tag: 1.4.2` is a key with a space)
  PLAIN_KEY = "^[A-Za-z0-9_][-A-Za-z0-9_./]*( [-A-Za-z0-9_./]+)*"
  BOM = "\357\273\277"
  # Flux's image policy setter: `<namespace>:<policy>` (DNS names), optionally `:tag`, `:name` or `:digest`
  POLICY = "^[a-z0-9][-a-z0-9.]*:[a-z0-9][-a-z0-9.]*(:(tag|name|digest))?$"
  IMAGEPOLICY = "\"$imagepolicy\": \""
  PROMOTION = "\"$promotion\": \"" app "\""
  nl = ENVIRON["NEWLINES"]
  resetdoc()
}

function resetdoc() { q = ""; depth = 0; blk = -2; opened = 0 }
function lead(s) { match(s, /^ */); return RLENGTH }
function rtrim(s) { sub(/[ \t]+$/, "", s); return s }
function report(kind, msg) {
  if (mode != "write") { print kind "\t" file "\t" FNR "\t" msg; return }
  print file ":" FNR ": " msg > "/dev/stderr"; bad = 1 # a write without a clean scan first: refuse it
}

# Does the line mention this app's marker, however it is spaced? (`"$promotion"` and `"<app>"` both in it)
function mentions(s,   p) {
  p = index(s, "\"$promotion\"")
  return p > 0 && index(substr(s, p), "\"" app "\"") > 0
}

# Is the comment (trimmed) this app's marker: exactly MARKER, or Flux's image policy marker with it in one
# object, `# {"$imagepolicy": "<policy>", "$promotion": "<app>"}` in either order?
function ismarker(c,   rest, p, tail) {
  if (c == marker) return 1
  if (substr(c, 1, 3) != "# {" || substr(c, length(c)) != "}") return 0
  rest = substr(c, 4, length(c) - 4)
  if (substr(rest, 1, length(IMAGEPOLICY)) == IMAGEPOLICY) {
    rest = substr(rest, length(IMAGEPOLICY) + 1)
    tail = "\", " PROMOTION
    p = length(rest) - length(tail)
    return p > 0 && substr(rest, p + 1) == tail && substr(rest, 1, p) ~ POLICY
  }
  if (substr(rest, 1, length(PROMOTION) + 2 + length(IMAGEPOLICY)) == PROMOTION ", " IMAGEPOLICY) {
    rest = substr(rest, length(PROMOTION) + 3 + length(IMAGEPOLICY))
    return substr(rest, length(rest)) == "\"" && substr(rest, 1, length(rest) - 1) ~ POLICY
  }
  return 0
}

# Walks the line as YAML's scanner would, from the state the previous lines left (q: an open quote,
# depth: open flow brackets); sets cpos to where the comment starts (0: none). A quote or bracket opens
# only where a token starts (after a space, `[`, `{`, `,`, `:` or at the line's start).
function walk(s,   i, n, c, prev) {
  cpos = 0; n = length(s); prev = " "
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (q == "\"") {
      if (c == "\\") i++
      else if (c == "\"") q = ""
    } else if (q == "'") {
      if (c == "'" && substr(s, i + 1, 1) == "'") i++
      else if (c == "'") q = ""
    } else if (c == "#" && (prev == " " || prev == "\t")) {
      cpos = i; return
    } else if ((c == "\"" || c == "'") && index(" \t[{,:", prev) > 0) {
      q = c
    } else if ((c == "[" || c == "{") && (depth > 0 || index(" \t[{,:-", prev) > 0)) {
      depth++
    } else if ((c == "]" || c == "}") && depth > 0) {
      depth--
    }
    prev = c
  }
}

# Does YAML read this plain value back as something other than the same string (a number, a bool, null,
# a date, …; YAML 1.1 and 1.2)? Then it is written double-quoted.
function needsquotes(v,   l) {
  l = tolower(v)
  if (l ~ /^(y|n|yes|no|on|off|true|false|null)$/) return 1
  if (v ~ /^[-+]?[0-9][0-9_]*$/ || v ~ /^[-+]?0[xXoObB]/) return 1
  if (v ~ /^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$/ || v ~ /^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$/) return 1
  if (l ~ /^[-+]?\.(inf|nan)$/) return 1
  if (v ~ /^[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$/) return 1
  if (v ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?/) return 1
  if (v ~ /^[-:?@]/) return 1
  if (v ~ /:$/) return 1 # `key: 1.4.2:` is no YAML at all (a mapping value where none may be)
  return 0
}

# Checks a line that mentions the marker and is at a line start of plain YAML; sets out (write mode) or
# reports. The line is `<indent>(- )*<key>:<space><value><gap><comment>`.
function marked(s,   content, comment, pre, rest, key, sep, value, quote, inner, p) {
  if (cpos == 0) { report("E", "the marker is inside a value, not a comment: write it as the comment of a `key: value` line"); return }
  comment = rtrim(substr(s, cpos))
  if (!ismarker(comment)) {
    report("E", "the comment must be exactly " marker ", or Flux's # {\"$imagepolicy\": \"<namespace>:<policy>\", " PROMOTION "} (this one is " comment ")"); return
  }
  content = rtrim(substr(s, 1, cpos - 1))
  if (q != "" || depth > 0) { report("E", "a flow collection or quoted string that continues on the next line"); return }
  match(content, /^ *(- +)*/); pre = substr(content, 1, RLENGTH); rest = substr(content, RLENGTH + 1)
  if (rest ~ /^[\t]/ || rest ~ /^-[\t]/) { report("E", "a tab in the indentation: YAML indents with spaces only"); return }
  if (rest ~ /^"/) { p = index(substr(rest, 2), "\""); key = p ? substr(rest, 1, p + 1) : "" }
  else if (rest ~ /^'/) { p = index(substr(rest, 2), "'"); key = p ? substr(rest, 1, p + 1) : "" }
  else if (match(rest, PLAIN_KEY)) key = substr(rest, 1, RLENGTH)
  else key = ""
  if (rest ~ /^[[{]/) { report("E", "a flow collection ([…] or {…}): mark a `key: value` line of a block mapping instead"); return }
  if (key == "" || key ~ /\\/ || substr(rest, length(key) + 1, 1) != ":") {
    report("E", "a list item or a value without a key: mark a `key: value` line (e.g. `newTag: 1.4.2 " marker "`)"); return
  }
  rest = substr(rest, length(key) + 2)
  match(rest, /^ */); sep = substr(rest, 1, RLENGTH); value = substr(rest, RLENGTH + 1)
  if (value ~ /^\t/) { report("E", "a tab after `" key ":`: YAML parsers disagree on it; separate the value with spaces"); return }
  if (sep == "" || value == "") { report("E", "`" key ":` has no value on this line: mark the line that holds the value"); return }
  if (value ~ /^[[{]/) { report("E", "a flow collection ([…] or {…}): mark a `key: value` line of a block mapping instead"); return }
  quote = substr(value, 1, 1)
  if (quote == "\"" || quote == "'") {
    if (length(value) < 2 || substr(value, length(value), 1) != quote) { report("E", "the quoted value does not end on this line"); return }
    inner = substr(value, 2, length(value) - 2)
  } else {
    quote = ""; inner = value
  }
  if (inner !~ VALUE) {
    report("E", "the value " value " is not a version (letters, digits and ._:/@+- only)"); return
  }
  if (mode == "write") {
    if (quote == "" && needsquotes(newvalue)) quote = "\""
    out = pre key ":" sep quote newvalue quote substr(s, length(content) + 1)
  } else {
    report("V", inner)
  }
}

{
  s = $0; cr = ""; bom = ""
  if (FNR == 1 && substr(s, 1, 3) == BOM) { bom = BOM; s = substr(s, 4) } # YAML allows it at the stream's start
  if (substr(s, length(s)) == "\r") { cr = "\r"; s = substr(s, 1, length(s) - 1) }
  out = s
  ctx = ""
  root = 0
  if (s ~ /^(---|\.\.\.)([ \t]|$)/) { resetdoc(); root = 1 }
  if (blk > -2) {
    if (s ~ /^[ \t]*$/ || lead(s) > blk) ctx = "inside a block scalar (opened on line " opened "): its lines are text, not fields"
    else blk = -2
  }
  if (ctx == "" && (q != "" || depth > 0)) {
    ctx = "inside a " (q != "" ? "quoted string" : "flow collection") " that spans lines (opened on line " opened ")"
  }
  if (ctx == "") {
    wasopen = 0
    walk(s)
    content = cpos ? rtrim(substr(s, 1, cpos - 1)) : rtrim(s)
    if (q != "" || depth > 0) opened = FNR
    else if (content ~ /(^|[ \t])[|>][-+0-9]*$/) {
      # a block scalar starts: its text runs while lines are more indented than the node that holds it: the
      # key's column, or the `-` of a list item that is the scalar itself (`- |`, `- !!str |`); a scalar with
      # neither (`--- |`, `|` at the line's start, or alone on a line below its key, where the key's column is
      # not known) holds every line up to the next document, and a marker there is refused
      opened = FNR
      match(content, /^ *(- +)*/)
      blk = RLENGTH
      if (substr(content, RLENGTH + 1) ~ /^([!&][^ \t]*[ \t]+)*[|>]/) {
        while (blk > 0 && substr(content, blk, 1) != "-") blk--
        blk--
      }
      if (root) blk = -1
    }
  } else if (q != "" || depth > 0) {
    walk(s) # the quote or bracket may close on this line; what follows on it is refused with it
  }
  if (mentions(s)) {
    if (ctx != "") report("E", "the marker is " ctx)
    else marked(s)
  }
  if (mode == "write") {
    if (FNR > 1) print last
    last = bom out cr
  }
}

END {
  # the last line gets a line break only if it had one (NEWLINES counts them; a last line without one is one more)
  if (mode == "write" && FNR > 0) printf "%s%s", last, (nl != "" && FNR > nl + 0 ? "" : "\n")
  if (bad) exit 3
}
