# Shared by the shell tests: log in to ews-server over HTTPS the way the web UI does.
#
#   source tests/lib/ews_session.sh
#   csrf=$(ews_login "https://127.0.0.1:$port" "$jar" installer 55555) || exit 1
#   curl -sk -b "$jar" "https://127.0.0.1:$port/api/v1/devices"
#   curl -sk -b "$jar" -H "X-CSRF-Token: $csrf" -X PUT ...
#
# ews_login BASE JAR ROLE PIN [NEW_PIN [NEW_PUK]]: logs ROLE in with PIN, keeping the session
# cookie in the curl cookie jar JAR. A factory (or administrator-set) code must be changed
# before anything else is allowed: then it changes the codes to NEW_PIN / NEW_PUK through
# POST /api/v1/session/codes (the real flow, no test flag). When PIN is refused because an
# earlier start on the same data directory changed it already, it logs in with NEW_PIN.
# Prints the session's CSRF token; on failure prints why on stderr and returns 1.
ews_login() {
  local base=$1 jar=$2 role=$3 pin=$4 new_pin=${5:-24681} new_puk=${6:-13579 2468 13579}
  local answer csrf
  answer=$(curl -sk --max-time 10 -c "$jar" -b "$jar" -w ' %{http_code}' -X POST \
    -d "{\"role\":\"$role\",\"pin\":\"$pin\"}" "$base/api/v1/session/login")
  if [[ "${answer##* }" == 401 ]]; then
    pin=$new_pin
    answer=$(curl -sk --max-time 10 -c "$jar" -b "$jar" -w ' %{http_code}' -X POST \
      -d "{\"role\":\"$role\",\"pin\":\"$pin\"}" "$base/api/v1/session/login")
  fi
  if [[ "${answer##* }" != 200 ]]; then
    echo "ews_login: $role cannot log in: $answer" >&2
    return 1
  fi
  csrf=$(sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p' <<<"$answer")
  if grep -q '"must_change_codes":true' <<<"$answer"; then
    local body="{\"current_pin\":\"$pin\",\"new_pin\":\"$new_pin\",\"new_puk\":\"$new_puk\"}"
    answer=$(curl -sk --max-time 10 -c "$jar" -b "$jar" -w ' %{http_code}' -X POST \
      -H "X-CSRF-Token: $csrf" -d "$body" "$base/api/v1/session/codes")
    if [[ "${answer##* }" != 200 ]]; then
      echo "ews_login: $role cannot change its factory codes: $answer" >&2
      return 1
    fi
  fi
  echo "$csrf"
}
