#!/bin/sh
# The compose Postgres runs this once, as its superuser, when it initialises an empty data volume
# (/docker-entrypoint-initdb.d). It makes dmbot's own login role (no superuser, no CREATEDB, no CREATEROLE)
# and one database owned by that role; the bot and its migrations connect as that role, which owns
# nothing else. The superuser's password (POSTGRES_PASSWORD_FILE) is used for nothing but this.
# Names and the password reach psql through its environment and \getenv, never its command line.
set -eu
: "${DMBOT_DB_USER:?}" "${DMBOT_DB_NAME:?}" "${DMBOT_DB_PASSWORD_FILE:?}"
DMBOT_DB_PASSWORD=$(cat "$DMBOT_DB_PASSWORD_FILE")
export DMBOT_DB_USER DMBOT_DB_NAME DMBOT_DB_PASSWORD

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" <<'SQL'
\getenv role DMBOT_DB_USER
\getenv db DMBOT_DB_NAME
\getenv password DMBOT_DB_PASSWORD
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL

if [ "${DMBOT_DB_LOCK_OTHERS:-1}" = 1 ]; then
  # Other databases of this server are the superuser's: nobody else may connect to them.
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -c 'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC' -c 'REVOKE CONNECT ON DATABASE template1 FROM PUBLIC'
fi
