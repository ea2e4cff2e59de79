#!/usr/bin/env bash
# Runs once, when the postgres image initialises an empty data folder (before the migrations).
#
# Creates the login roles of Lendgres:
#   lendgres_http    the HTTP service (password LENDGRES_HTTP_PASSWORD), a member of lending_gateway: it checks API
#                    keys and names the actor of each call
#   lendgres_client  other services and psql calling the SQL API directly (password LENDGRES_CLIENT_PASSWORD), a
#                    member of lending_api; it acts as the actor an admin maps to it
# The migrations create lending_api and lending_gateway too, only when missing, and grant lending_api to
# lending_gateway; roles are cluster-wide, so creating them here first is harmless. No login role here is a
# superuser.
set -euo pipefail

: "${LENDGRES_HTTP_PASSWORD:?set LENDGRES_HTTP_PASSWORD for the lendgres_http role}"
: "${LENDGRES_CLIENT_PASSWORD:?set LENDGRES_CLIENT_PASSWORD for the lendgres_client role}"

# Passwords travel as psql variables, quoted by psql (:'name'), never spliced into the SQL by the shell.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v http_password="$LENDGRES_HTTP_PASSWORD" \
  -v client_password="$LENDGRES_CLIENT_PASSWORD" <<-'EOSQL'
	select 'create role lending_api nologin'
	where not exists (select from pg_catalog.pg_roles where rolname = 'lending_api') \gexec
	select 'create role lending_gateway nologin'
	where not exists (select from pg_catalog.pg_roles where rolname = 'lending_gateway') \gexec

	select 'create role lendgres_http login nosuperuser nocreatedb nocreaterole'
	where not exists (select from pg_catalog.pg_roles where rolname = 'lendgres_http') \gexec
	alter role lendgres_http with login nosuperuser password :'http_password';
	grant lending_gateway to lendgres_http;

	select 'create role lendgres_client login nosuperuser nocreatedb nocreaterole'
	where not exists (select from pg_catalog.pg_roles where rolname = 'lendgres_client') \gexec
	alter role lendgres_client with login nosuperuser password :'client_password';
	grant lending_api to lendgres_client;
EOSQL
