-- The cursor of a position in the feed: an event's (transaction_id, event_id), or (horizon, 0) for "every event of
-- the transactions below this horizon", which is where a page that did not fill up leaves its reader. Clients treat
-- it as opaque; lending.events_after reads it back with lending_private.cursor_text. A standard-body SQL function,
-- inlined where it is called (once per event of a page), so only immutable functions: digits and a dash are their
-- own bytes, which the cast to bytea keeps as they are.
create or replace function lending_private.event_cursor(transaction_id xid8, event_id bigint)
returns text
language sql
immutable
begin atomic
  select encode((transaction_id::text || '-' || event_id::text)::bytea, 'base64');
end;
