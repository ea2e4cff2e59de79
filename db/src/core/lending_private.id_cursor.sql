-- The cursor of a page of rows by id (lending.list_applications, lending.review_queue): the base64 of the last id of
-- the page, in plain digits. Clients treat it as opaque and pass it back as `after`; lending_private.cursor_id reads
-- it. A standard-body SQL function, inlined where it is called.
create or replace function lending_private.id_cursor(id bigint)
returns text
language sql
immutable
begin atomic
  select encode(id::text::bytea, 'base64');
end;
comment on function lending_private.id_cursor(bigint) is 'The cursor after the row with this id (base64 of its digits).';
