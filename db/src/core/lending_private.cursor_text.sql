-- Cursors are opaque to clients: each is the base64 of a position written one way only (lending_private.event_cursor,
-- lending.list_applications). This reads one back: what it says, or null unless it is exactly such an encoding (no
-- spaces or line breaks, padding where base64 puts it, no stray bits), so that a position has a single cursor and
-- nothing else passes for it. It never raises: a bad cursor is the caller's validation error to report. Bytes that
-- are not printable ASCII come back escaped (\ooo), which no position's pattern matches.
create or replace function lending_private.cursor_text(cursor text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bytes bytea;
begin
  if cursor is null or length(cursor) > 100
     or cursor !~ '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' then
    return null;
  end if;
  v_bytes := decode(cursor, 'base64');
  if encode(v_bytes, 'base64') <> cursor then
    return null;
  end if;
  return encode(v_bytes, 'escape');
end;
$$;
comment on function lending_private.cursor_text(text) is
  'What a cursor (the base64 of a position) says, or null when it is not exactly the encoding of one.';
