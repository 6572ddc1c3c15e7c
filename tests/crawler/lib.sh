# lib.sh — helpers shared by the crawler's shell tests (sourced after tests/tap.sh).
#   serve [server.py options]   starts tests/crawler/server.py on a free port: sets PORT, SERVER_PID,
#                               BASE (http://127.0.0.1:PORT); its log is $T/server.log unless --log given
#   id_of URL                   the page id the crawler derives from a normalised URL
#   meta_field FILE KEY         a field of a .meta.json
#   hits PATH [LOG]             how many times the server answered a GET for PATH
CRAWLER_TESTS=$(cd "$(dirname "$0")" && pwd)
CRAWLER="$CR_BIN/crawler"

serve() {
    PORT=$(free_port)
    case " $* " in *" --log "*) ;; *) set -- --log "$T/server.log" "$@" ;; esac
    start_bg $PY "$CRAWLER_TESTS/server.py" --port "$PORT" "$@"
    SERVER_PID=$BG_PID
    BASE="http://127.0.0.1:$PORT"
    case " $* " in *" --start-after "*) return 0 ;; esac
    wait_for 10 $PY -c "import socket; socket.create_connection(('127.0.0.1', $PORT))"
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
}

id_of() {
    printf '%s' "$1" | sha256sum | cut -c1-32
}

meta_field() {
    $PY -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("null" if v is None else v)' "$1" "$2"
}

json_field() { # json_field FILE a.b.c
    $PY -c '
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}

hits() {
    log=${2:-$T/server.log}
    [ -f "$log" ] || { echo 0; return; }
    awk -v p="$1" '$2 == "GET" && $3 == p' "$log" | wc -l | tr -d ' '
}
