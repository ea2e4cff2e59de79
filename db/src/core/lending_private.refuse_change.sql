-- Refuses updates, deletes and truncation of append-only rows, whoever the role; attached as BEFORE triggers.
create or replace function lending_private.refuse_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail(
    'append_only',
    format('%s on %s is not allowed: its rows are append-only', lower(tg_op), tg_table_name),
    jsonb_build_object('table', tg_table_name, 'operation', lower(tg_op)));
  return null;
end;
$$;
comment on function lending_private.refuse_change() is
  'Trigger: raises append_only for any update, delete or truncate it is attached to.';
