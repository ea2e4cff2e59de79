-- Timestamps in API documents and error details: RFC 3339 in UTC, whatever the session's TimeZone. A standard-body
-- SQL function, inlined where it is called (see audit_genesis).
create or replace function lending_private.json_time(at timestamptz)
returns text
language sql
stable
begin atomic
  select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
end;
