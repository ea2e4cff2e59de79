-- migrate:up
set local role lending_owner;

-- Every function pins search_path to pg_catalog, pg_temp and names our own objects with their schema. An empty
-- path would not do: PostgreSQL still searches the caller's temporary schema first for tables and types, so a
-- caller could shadow jsonb with a domain of its own whose check runs with the owner's rights. Listed last,
-- pg_temp shadows nothing.

-- Every error a Lendgres function raises on purpose has a stable machine code, listed here with its HTTP status.
-- lending_private.fail() raises it with SQLSTATE 'LN' || status (class LN is ours), the human message as the
-- message, and a JSON object as the detail: {"code", "title", plus the facts a caller needs to correct itself}.
create table lending_private.error_code (
  code text primary key constraint error_code_is_snake_case check (code ~ '^[a-z][a-z0-9_]*$'),
  http_status smallint not null constraint error_code_status_is_client_error check (http_status between 400 and 499),
  title text not null,
  description text not null
);
comment on table lending_private.error_code is
  'The catalogue of machine error codes; db/README.md documents the same list and a test keeps them equal.';

insert into lending_private.error_code (code, http_status, title, description) values
  ('validation_failed', 422, 'Validation failed',
   'One or more arguments are invalid; detail.errors lists each field and what is wrong with it.'),
  ('not_found', 404, 'Not found',
   'The resource does not exist; detail names the resource and the id that was looked up.'),
  ('invalid_transition', 409, 'Invalid status transition',
   'The application cannot move from its current status to the requested one; detail.allowed lists the statuses it can move to.'),
  ('version_conflict', 409, 'Version conflict',
   'The expected version does not match the current one; re-read the resource and retry with detail.current_version.'),
  ('idempotency_key_reused', 422, 'Idempotency key reused',
   'The idempotency key was already used by this actor for a different request; use a new key for a new request.'),
  ('applicant_exists', 409, 'Applicant already exists',
   'An applicant with this external_ref already exists; pass detail.applicant_id as applicant_id instead of the applicant''s fields.'),
  ('append_only', 409, 'Record is append-only',
   'The row belongs to an append-only record (audit trail, decisions, business rows) and cannot be updated or deleted.');

-- Timestamps in API documents and error details: RFC 3339 in UTC, whatever the session's TimeZone.
-- Helpers, even one-line ones like this, are PL/pgSQL: a PL/pgSQL function is compiled once per session, whereas
-- a SQL function is set up again at every call site in every transaction, which cost lending.apply about a sixth
-- of its time under pgbench.
create function lending_private.json_time(at timestamptz)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
end;
$$;

create function lending_private.fail(code text, message text, details jsonb default '{}')
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_status smallint;
  v_title text;
begin
  select e.http_status, e.title into v_status, v_title from lending_private.error_code as e where e.code = fail.code;
  if v_status is null then
    raise exception 'lending_private.fail: unknown error code %', code;
  end if;
  raise exception using
    errcode = 'LN' || v_status::text,
    message = message,
    detail = (jsonb_build_object('code', code, 'title', v_title) || coalesce(details, '{}'))::text;
end;
$$;
comment on function lending_private.fail(text, text, jsonb) is
  'Raises the catalogued error `code` with a human message and machine-readable details. Never returns.';

-- One invalid field, in the shape validation_failed lists them; null when the field is fine, so that callers can
-- collect the errors of every field with one array and report them all at once.
create function lending_private.field_error(field text, message text)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case when message is not null then jsonb_build_object('field', field, 'message', message) end;
end;
$$;

create function lending_private.fail_if_invalid(field_errors jsonb[])
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_errors jsonb;
begin
  if num_nonnulls(variadic field_errors) = 0 then
    return;  -- the common case, without running a query
  end if;
  select jsonb_agg(e) into v_errors from unnest(field_errors) as e where e is not null;
  if v_errors is not null then
    perform lending_private.fail(
      'validation_failed',
      format('%s invalid: %s', case when jsonb_array_length(v_errors) = 1 then 'one field is' else 'some fields are' end,
             (select string_agg(e ->> 'field' || ' ' || (e ->> 'message'), '; ') from jsonb_array_elements(v_errors) e)),
      jsonb_build_object('errors', v_errors));
  end if;
end;
$$;
comment on function lending_private.fail_if_invalid(jsonb[]) is
  'Raises validation_failed listing every non-null field error, or returns when there is none.';

reset role;

-- migrate:down
set local role lending_owner;
drop function lending_private.fail_if_invalid(jsonb[]);
drop function lending_private.field_error(text, text);
drop function lending_private.fail(text, text, jsonb);
drop function lending_private.json_time(timestamptz);
drop table lending_private.error_code;
reset role;
