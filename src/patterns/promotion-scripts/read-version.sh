# Reads the one value marked for $APP under $ENV_PATH at the commit $COMMIT that Flux applied.
case "$COMMIT" in
  *[!0-9a-f]*|'') fail "the commit '$COMMIT' is not a hex object name" ;;
esac
check_label environment "$ENVIRONMENT"
# The clone holds $BRANCH only; the commit must be in its history (an event naming another branch's commit,
# or one that a force push removed, is not what this environment's branch applied).
git cat-file -e "$COMMIT^{commit}" 2>/dev/null && git merge-base --is-ancestor "$COMMIT" "refs/remotes/origin/$BRANCH" \
  || fail "$COMMIT is not on $BRANCH of $REPOSITORY"
git -c advice.detachedHead=false checkout --quiet --detach "$COMMIT" || fail "$COMMIT is not on $BRANCH of $REPOSITORY"
scan_env "$ENV_PATH" || fail "$ENVIRONMENT at $COMMIT: $scan_error"
case "$scanned" in
  *[!A-Za-z0-9._:/@+-]*) fail "refusing to promote the malformed version '$scanned'" ;;
esac
printf '%s' "$scanned" > "$VERSION_RESULT"
echo "$ENVIRONMENT runs $scanned at $COMMIT"
