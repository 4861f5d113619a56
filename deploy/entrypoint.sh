#!/bin/sh
# The app container's entry point (also usable without Docker, from any directory).
#
#   entrypoint.sh [serve]   wait for the database, migrate it (once, under a lock),
#                           seed the demo office if NOBAT_SEED_DEMO=1, then exec gunicorn
#   entrypoint.sh migrate   only the database step
#   entrypoint.sh CMD ...   run CMD as given, e.g. `nobat token create --device kiosk --office amol`
#
# NOBAT_MIGRATE=0 skips the database step of `serve` (when migrations run as a separate job).
# Python and gunicorn are taken from PATH.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# The project root: gunicorn.conf.py and the server package live there.
cd -- "$here/.."

migrate() {
    python "$here/migrate.py"
}

case "${1:-serve}" in
    serve)
        if [ "${NOBAT_MIGRATE:-1}" = 1 ]; then
            migrate
        fi
        exec gunicorn -c gunicorn.conf.py server.wsgi:app
        ;;
    migrate)
        migrate
        ;;
    *)
        exec "$@"
        ;;
esac
