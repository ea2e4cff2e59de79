create or replace function lending_private.fail(code text, message text, details jsonb default '{}')
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
