create or replace function lending_private.event_type_error(event_type text)
returns text
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
begin
  return case when event_type !~ '^[a-z]+(\.[a-z_]+)+$' then 'must be an event type such as application.decided' end;
end;
$$;
comment on function lending_private.event_type_error(text) is 'What is wrong with an event type name, or null.';
