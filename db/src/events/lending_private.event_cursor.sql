create or replace function lending_private.event_cursor(transaction_id xid8, event_id bigint)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return transaction_id::text || '-' || event_id::text;
end;
$$;
