-- One invalid field, in the shape validation_failed lists them; null when the field is fine, so that callers can
-- collect the errors of every field with one array and report them all at once.
create or replace function lending_private.field_error(field text, message text)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case when message is not null then jsonb_build_object('field', field, 'message', message) end;
end;
$$;
