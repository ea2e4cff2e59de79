-- The id a cursor of lending_private.id_cursor names, or null when it is not exactly one: a positive bigint in
-- plain digits, whatever PostgreSQL would read as a number ("0x14", "20 ", "+20", "2_0") naming no position.
create or replace function lending_private.cursor_id(cursor text)
returns bigint
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_digits text := substring(lending_private.cursor_text(cursor) from '^[1-9][0-9]{0,18}$');
begin
  return case when v_digits::numeric <= 9223372036854775807 then v_digits::bigint end;
end;
$$;
comment on function lending_private.cursor_id(text) is
  'The id a page cursor (lending_private.id_cursor) names, or null when it names none.';
