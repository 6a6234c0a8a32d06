set -eu
# What every promotion step starts with. POSIX sh with BusyBox's tools (alpine/git, curlimages/curl): the
# tests run these scripts under BusyBox. Values come from the environment only, never as script text.
# Tekton's /workspace is shared by the steps of a TaskRun (PROMOTION_WORKDIR lets the tests run it elsewhere).
work="${PROMOTION_WORKDIR:-/workspace}"
# Every network call is bounded: git's clone, fetch and push in all (and a stalled transfer sooner), curl's
# requests each (the tests lower these to see a hanging server fail).
git_timeout="${PROMOTION_GIT_TIMEOUT:-300}"
http_timeout="${PROMOTION_HTTP_TIMEOUT:-30}"
# seconds before the n-th retry of a request: n times this (the tests set it to 0)
retry_delay="${PROMOTION_RETRY_DELAY:-1}"
export LC_ALL=C
umask 077

fail() { echo "$*" >&2; exit 1; }

# The token in $raw_token, checked before use: trailing line breaks are dropped (what `echo >` or a file
# leaves); anything else but a token's characters (a CR, an inner line break, a space) is refused without
# showing the value, so that it can never become a header line of its own.
clean_token() {
  token=$(printf '%s' "$raw_token")
  case "$token" in
    '') fail "$1 is empty: put the token in the Secret's key" ;;
    *[!A-Za-z0-9._~+/=:-]*) fail "$1 holds a character no token has (a space, a line break or a control character): store the token alone, e.g. kubectl create secret generic <name> --from-literal=token=\"\$TOKEN\"" ;;
  esac
}

# A relative folder of the repository, as the synth validated it; checked again here because it is a path
# (and a path that starts with '-' would be an option to find; one with a space, a glob or a line break is
# none the synth makes).
check_path() {
  case "$1" in
    ''|/*|-*|../*|*/../*|*/..|..|.|./*|*/./*|*/.|*//*|*/|*[!A-Za-z0-9._/-]*)
      fail "the environment path '$1' must be a relative folder of the repository: segments of letters, digits and '._-', no '.', '..' or leading '-'" ;;
  esac
}

# The app's and the environments' names are DNS labels (the synth checks them): they name the request's
# branch (promote/<app>/<env>), are in the marker and in messages; a param that is none is refused here.
check_label() { # $1: what, $2: the value
  case "$2" in
    ''|-*|*-|*[!a-z0-9-]*) fail "the $1 '$2' is not a DNS label (lowercase letters, digits and '-')" ;;
  esac
  [ "${#2}" -le 63 ] || fail "the $1 '$2' is longer than a DNS label (63 characters)"
}

# A branch as the synth takes it: git's rules and the conservative charset the listener admits refs of.
check_branch() {
  case "$1" in
    ''|*[!A-Za-z0-9._/+-]*) fail "the branch '$1' is not a valid branch name (letters, digits and '._/+-' only)" ;;
  esac
  git check-ref-format --branch "$1" >/dev/null 2>&1 || fail "the branch '$1' is not a valid branch name"
}


# The revision an event names (Flux's `main@sha1:<hex>`, or a build's): it goes into commit messages only, but
# a line break in it would write a line of its own there (a forged `Promotion-Rollback:` trailer): refused.
check_revision() {
  case "$1" in
    *[!A-Za-z0-9._:/@+-]*) fail "the revision '$1' is not a revision (letters, digits and '._:/@+-' only)" ;;
  esac
}
