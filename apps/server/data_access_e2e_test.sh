#!/usr/bin/env bash
# The history as files, end to end against ews-server with real clients: FTPS with curl, lftp
# and Python's ftplib (list, download, resume, wrong code, writes refused, traversal), WebDAV
# with curl, cadaver and rclone (PROPFIND, ranges, writes refused), the web download; all six
# give the same bytes for the same file. Five wrong PINs over FTP block the web login too; the
# audit log records FTP/WebDAV logins and file reads. Loopback only; each client uses its own
# 127.0.0.x source address, and wrong PINs are tried as the installer: the rate limits count per
# address and per user (10 at once), and the administrator logs in nine times.
set -uo pipefail

source tests/lib/test_lib.sh

fixture="$PWD/sdk/export/history_fixture"
py=/usr/bin/python3
work="$TEST_TMPDIR/work"
data="$TEST_TMPDIR/data"
jar="$TEST_TMPDIR/cookies"
mkdir -p "$work" "$data"

# Three days of minute history for two meters of 30 quantities, up to now.
"$fixture" "$data/history.db" UTC 3 2 30 || { echo "FAIL: fixture"; exit 1; }
day=$(date -u -d '1 day ago' +%Y-%m-%d)
month=$(date -u +%Y-%m)
file="meter-1/meter-1_$day.csv"

ews_start apps/server/ews-server "$data" "$TEST_TMPDIR/server.log" --http_port=-1 \
  --modbus_port=-1 --ftp_port=0 --rtc_device=/nonexistent/rtc
base="https://127.0.0.1:$https_port"
check "server starts with FTP on" test -n "$ftp_port" -a "${ftp_port:--1}" != -1
echo "https $https_port ftp $ftp_port"

call() { # call METHOD PATH [BODY] [curl args...]
  local method=$1 path=$2 body=${3:-}; shift 3 2>/dev/null || shift $#
  curl -sk --max-time 10 -b "$jar" -c "$jar" -X "$method" -w ' %{http_code}' \
    ${body:+-d "$body"} "$@" "$base$path"
}
csrf_of() { sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p' <<<"$1"; }

# --- factory codes: refused over FTP until changed on the web pages -------------------------
out=$(curl -s --max-time 10 --ssl-reqd -k --interface 127.0.0.2 --user administrator:99999 \
  "ftp://127.0.0.1:$ftp_port/" 2>&1); rc=$?
check "FTP refuses the factory PIN until it is changed (curl exit 67, got $rc)" test "$rc" = 67
pin=31415
csrf=$(ews_login "$base" "$jar" administrator 99999 "$pin" "27182 8182 84590")
check "administrator logs in, changing the factory codes" test -n "$csrf"

# --- web download ---------------------------------------------------------------------------
r=$(curl -sk --max-time 20 -b "$jar" -o "$work/web.csv" -w '%{http_code}' "$base/api/v1/files/$file")
check "web download 200" test "$r" = 200
check "web download is a CSV with BOM" grep -q $'^\xEF\xBB\xBFTime (UTC);UTC offset' "$work/web.csv"
listing=$(call GET /api/v1/files/meter-1)
check "web listing names the day file with its size" grep -q "\"name\":\"meter-1_$day.csv\",\"directory\":false,\"size\":$(stat -c %s "$work/web.csv")" <<<"$listing"
r=$(curl -sk -o /dev/null -w '%{http_code}' "$base/api/v1/files/$file")
check "web download without a session: 401" test "$r" = 401
r=$(curl -sk --path-as-is -b "$jar" -o /dev/null -w '%{http_code}' "$base/api/v1/files/meter-1/../../../etc/passwd")
check "web download refuses .. ($r)" test "$r" = 400 -o "$r" = 404
r=$(curl -sk -b "$jar" -o /dev/null -w '%{http_code}' "$base/api/v1/files/%2e%2e/etc/passwd")
check "web download refuses %2e%2e ($r)" test "$r" = 400 -o "$r" = 404

# --- curl over FTPS ---------------------------------------------------------------------------
ftp="ftp://127.0.0.1:$ftp_port"
cftp() { curl -s --max-time 20 --ssl-reqd -k --interface 127.0.0.2 "$@"; }
out=$(cftp --user "administrator:$pin" "$ftp/" "$ftp/meter-1/" -o "$work/root.txt" -o "$work/meter1.txt" 2>&1)
check "curl lists / over FTPS (ls -l format)" grep -q '^dr-xr-xr-x 2 ews ews 0 .* meter-1' "$work/root.txt"
check "curl lists the day file with its exact size" grep -q "^-r--r--r-- 1 ews ews $(stat -c %s "$work/web.csv") .* meter-1_$day.csv" "$work/meter1.txt"
cftp --user "administrator:$pin" "$ftp/$file" -o "$work/curl.csv"
check "curl FTPS download = web download" cmp -s "$work/curl.csv" "$work/web.csv"
head -c 1000 "$work/web.csv" >"$work/resumed.csv"
cftp --user "administrator:$pin" -C - "$ftp/$file" -o "$work/resumed.csv"
check "curl resumes at byte 1000 (REST) and gets the same file" cmp -s "$work/resumed.csv" "$work/web.csv"
out=$(curl -s --max-time 10 --interface 127.0.0.2 --user "administrator:$pin" "$ftp/" 2>&1); rc=$?
check "plain FTP refused while TLS is required (curl exit $rc)" test "$rc" != 0
out=$(cftp --user installer:12345 "$ftp/" 2>&1); rc=$?
check "wrong PIN refused (curl exit 67, got $rc)" test "$rc" = 67
echo hello >"$work/upload.csv"
out=$(cftp -v --user "administrator:$pin" -T "$work/upload.csv" "$ftp/meter-1/x.csv" 2>&1); rc=$?
check "STOR refused (curl exit $rc)" grep -q '< 550 Read-only file system' <<<"$out"

# --- lftp ---------------------------------------------------------------------------------
lftp_out=$(timeout 60 lftp -c "set ssl:verify-certificate no; set ftp:ssl-force yes;
  set ftp:ssl-protect-data yes; set net:max-retries 1; set net:timeout 10;
  set net:socket-bind-ipv4 127.0.0.3; set cmd:fail-exit no;
  open -u administrator,$pin -p $ftp_port 127.0.0.1; cls -l /meter-1/;
  get /$file -o $work/lftp.csv; put $work/upload.csv -o /meter-1/up.csv; mkdir /x; rm /$file" 2>&1)
echo "$lftp_out" | head -20
check "lftp lists (MLSD) the day file" grep -q "meter-1_$day.csv" <<<"$lftp_out"
check "lftp download = web download" cmp -s "$work/lftp.csv" "$work/web.csv"
check "lftp put, mkdir and rm refused" test "$(grep -c 'Access failed: 550' <<<"$lftp_out")" -ge 3

# --- Python ftplib ------------------------------------------------------------------------
timeout 60 "$py" - "$ftp_port" "$pin" "$file" "$work" <<'PY'
import ftplib, io, ssl, sys
port, pin, path, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
failures = 0
def check(what, ok):
    global failures
    print(("ok: " if ok else "FAIL: ") + "ftplib " + what)
    failures += 0 if ok else 1
ftp = ftplib.FTP_TLS(context=context, timeout=10, source_address=("127.0.0.4", 0))
ftp.connect("127.0.0.1", port)
ftp.login("administrator", pin)
ftp.prot_p()
facts = dict(ftp.mlsd("/meter-1"))
name = path.split("/")[1]
check("MLSD gives type and size", facts[name]["type"] == "file" and int(facts[name]["size"]) > 0)
size = ftp.size("/" + path)
check("SIZE = MLSD size", size == int(facts[name]["size"]))
check("MDTM", ftp.voidcmd("MDTM /" + path).startswith("213 2"))
data = io.BytesIO()
ftp.retrbinary("RETR /" + path, data.write)
open(work + "/ftplib.csv", "wb").write(data.getvalue())
tail = io.BytesIO()
ftp.retrbinary("RETR /" + path, tail.write, rest=size - 100)
check("REST gives the last 100 bytes", tail.getvalue() == data.getvalue()[-100:])
ftp.cwd("/meter-1")
check("CWD/PWD", ftp.pwd() == "/meter-1")
ftp.voidcmd("TYPE A")
ascii = io.BytesIO()
ftp.retrbinary("RETR " + name, ascii.write)
check("TYPE A sends the CRLF file unchanged", ascii.getvalue() == data.getvalue())
for command in ("STOR x.csv", "DELE " + name, "MKD x", "RMD /meter-1", "RNFR " + name,
                "SIZE ../../etc/passwd", "SIZE /meter-1/../../etc", "CWD /%2e%2e", "SIZE /etc/passwd"):
    try:
        if command.startswith("STOR"):
            ftp.storbinary(command, io.BytesIO(b"x"))
        else:
            ftp.voidcmd(command)
        check(command + " refused", False)
    except ftplib.error_perm as e:
        check(command + " refused (" + str(e)[:3] + ")", str(e).startswith("550"))
check("PORT (active mode) refused", ftp.sendcmd("NOOP").startswith("200"))
try:
    ftp.sendcmd("PORT 127,0,0,1,4,1")
    check("PORT refused", False)
except ftplib.error_perm as e:
    check("PORT refused (502)", str(e).startswith("502"))
ftp.quit()
bad = ftplib.FTP_TLS(context=context, timeout=10, source_address=("127.0.0.4", 0))
bad.connect("127.0.0.1", port)
try:
    bad.login("installer", "00001")
    check("wrong PIN refused", False)
except ftplib.error_perm as e:
    check("wrong PIN refused (530)", str(e).startswith("530"))
sys.exit(1 if failures else 0)
PY
check "ftplib session" test $? = 0
check "ftplib download = web download" cmp -s "$work/ftplib.csv" "$work/web.csv"

# --- WebDAV: curl ---------------------------------------------------------------------------
dav="$base/dav"
cdav() { curl -sk --max-time 20 --interface 127.0.0.5 "$@"; }
r=$(cdav -X OPTIONS -D - -o /dev/null -u "administrator:$pin" "$dav/")
check "OPTIONS says DAV: 1" grep -qi '^dav: 1' <<<"$r"
r=$(cdav -X PROPFIND -H 'Depth: 1' -u "administrator:$pin" -w ' %{http_code}' "$dav/meter-1/")
check "PROPFIND depth 1: 207" test "${r##* }" = 207
check "PROPFIND lists the day file with its length" grep -q "<D:href>/dav/meter-1/meter-1_$day.csv</D:href>.*<D:getcontentlength>$(stat -c %s "$work/web.csv")</D:getcontentlength>" <<<"$r"
r=$(cdav -X PROPFIND -H 'Depth: 0' -u "administrator:$pin" "$dav/")
check "PROPFIND depth 0: the collection alone" test "$(grep -o '<D:response>' <<<"$r" | wc -l)" = 1
r=$(cdav -X PROPFIND -u "administrator:$pin" -o /dev/null -w '%{http_code}' "$dav/")
check "PROPFIND depth infinity: 403" test "$r" = 403
cdav -u "administrator:$pin" -o "$work/dav.csv" "$dav/$file"
check "WebDAV GET = web download" cmp -s "$work/dav.csv" "$work/web.csv"
cdav -u "administrator:$pin" -r 100-199 -o "$work/range.csv" "$dav/$file"
check "WebDAV GET with a range" cmp -s "$work/range.csv" <(head -c 200 "$work/web.csv" | tail -c 100)
r=$(cdav -u "administrator:$pin" -r 99999999- -o /dev/null -w '%{http_code}' "$dav/$file")
check "unsatisfiable range: 416" test "$r" = 416
r=$(cdav -I -u "administrator:$pin" "$dav/$file")
check "HEAD gives Content-Length" grep -qi "^content-length: $(stat -c %s "$work/web.csv")" <<<"$r"
for method in PUT DELETE MKCOL MOVE COPY PROPPATCH LOCK; do
  r=$(cdav -X "$method" -H "Destination: $dav/meter-1/copy.csv" -u "administrator:$pin" -o /dev/null -w '%{http_code}' "$dav/$file")
  # civetweb itself answers MOVE and COPY with 400 before any handler sees them.
  check "WebDAV $method refused ($r)" test "$r" = 405 -o \( "$r" = 400 -a "${method:1:1}" = O \)
done
r=$(cdav -o /dev/null -w '%{http_code}' "$dav/")
check "WebDAV without credentials: 401" test "$r" = 401
r=$(cdav -u installer:00002 -o /dev/null -w '%{http_code}' "$dav/")
check "WebDAV with a wrong PIN: 401" test "$r" = 401
r=$(cdav --path-as-is -u "administrator:$pin" -o /dev/null -w '%{http_code}' "$dav/meter-1/../../etc/passwd")
check "WebDAV refuses .. ($r)" test "$r" = 400 -o "$r" = 404
r=$(cdav -u "administrator:$pin" -o /dev/null -w '%{http_code}' "$dav/%2e%2e/%2e%2e/etc/passwd")
check "WebDAV refuses %2e%2e ($r)" test "$r" = 400 -o "$r" = 404
r=$(curl -sk -b "$jar" -X PROPFIND -H 'Depth: 1' -o /dev/null -w '%{http_code}' "$dav/")
check "WebDAV with the session cookie: 207" test "$r" = 207

# --- WebDAV: cadaver (scripted) -------------------------------------------------------------
mkdir -p "$work/home"
printf 'machine 127.0.0.1\nlogin administrator\npassword %s\n' "$pin" >"$work/home/.netrc"
chmod 600 "$work/home/.netrc"
# cadaver asks before accepting the device's certificate, and only on a terminal: `script`
# gives it one.
cadaver_out=$(cd "$work" &&
  printf 'y\nls meter-1\nget %s cadaver.csv\nput upload.csv meter-1/up.csv\nquit\n' "$file" |
  HOME="$work/home" timeout 60 script -qec "cadaver $dav/" /dev/null 2>&1)
echo "$cadaver_out" | tr -d '\r' | tail -12
check "cadaver lists the day file" grep -q "meter-1_$day.csv" <<<"$cadaver_out"
check "cadaver download = web download" cmp -s "$work/cadaver.csv" "$work/web.csv"
check "cadaver put refused" grep -q "405 Method Not Allowed" <<<"$cadaver_out"

# --- WebDAV: rclone -------------------------------------------------------------------------
if command -v rclone >/dev/null; then
  conf="$work/rclone.conf"
  printf '[ews]\ntype = webdav\nurl = %s\nvendor = other\nuser = administrator\npass = %s\n' \
    "$dav" "$(rclone obscure "$pin")" >"$conf"
  rls=$(timeout 60 rclone --config "$conf" --no-check-certificate --bind 127.0.0.5 ls ews:meter-1 2>&1)
  check "rclone ls gives the day file with its size" grep -q "^ *$(stat -c %s "$work/web.csv") meter-1_$day.csv" <<<"$rls"
  timeout 60 rclone --config "$conf" --no-check-certificate --bind 127.0.0.5 copy "ews:$file" "$work/rclone" 2>&1 | tail -3
  check "rclone copy = web download" cmp -s "$work/rclone/meter-1_$day.csv" "$work/web.csv"
else
  fail "rclone is not installed (tools/setup.sh)"
fi

# --- role filter: greenUp sees no meter ------------------------------------------------------
gjar="$TEST_TMPDIR/gcookies"
glogin=$(curl -sk --max-time 10 --interface 127.0.0.7 -c "$gjar" -d '{"role":"greenUp","pin":"88888"}' "$base/api/v1/session/login")
curl -sk --max-time 10 --interface 127.0.0.7 -b "$gjar" -c "$gjar" -o /dev/null \
  -H "X-CSRF-Token: $(csrf_of "$glogin")" \
  -d '{"current_pin":"88888","new_pin":"27183","new_puk":"16180 3398 87498"}' "$base/api/v1/session/codes"
groot=$(curl -s --max-time 20 --ssl-reqd -k --interface 127.0.0.7 --user greenUp:27183 "$ftp/" 2>&1); rc=$?
check "greenUp logs in over FTP (exit $rc) and sees no meter folder" test "$rc" = 0 -a -z "$groot"
r=$(curl -s --max-time 20 --ssl-reqd -k --interface 127.0.0.7 --user greenUp:27183 "$ftp/$file" -o /dev/null 2>&1); rc=$?
check "greenUp cannot fetch a meter's file (exit $rc: no such directory)" test "$rc" = 9

# --- lockout shared with the web login ------------------------------------------------------
"$py" - "$ftp_port" <<'PY'
import ftplib, ssl, sys
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
for attempt in range(5):
    ftp = ftplib.FTP_TLS(context=context, timeout=10, source_address=("127.0.0.6", 0))
    ftp.connect("127.0.0.1", int(sys.argv[1]))
    try:
        ftp.login("user", "1234%d" % attempt)
    except ftplib.error_perm as e:
        print("attempt", attempt, e)
    ftp.close()
PY
r=$(curl -sk --max-time 10 --interface 127.0.0.6 -w ' %{http_code}' -d '{"role":"user","pin":"11111"}' "$base/api/v1/session/login")
echo "web login after 5 wrong FTP PINs: $r"
check "five wrong PINs over FTP block the web login" grep -q 'blocked' <<<"$r"

# --- audit ----------------------------------------------------------------------------------
audit=$(call GET '/api/v1/audit?limit=200')
check "audit has ftp.login ok" grep -q '"action":"ftp.login","outcome":"ok"' <<<"$audit"
check "audit has ftp.login denied" grep -q '"action":"ftp.login","outcome":"denied"' <<<"$audit"
check "audit has dav.login" grep -q '"action":"dav.login","outcome":"ok"' <<<"$audit"
check "audit has FTP, WebDAV and web file reads" test "$(grep -o '"detail":"\(ftp\|webdav\|web\) /meter-1' <<<"$audit" | sort -u | wc -l)" = 3

check "the server stops cleanly" stop_server
finish "$TEST_TMPDIR/server.log"
