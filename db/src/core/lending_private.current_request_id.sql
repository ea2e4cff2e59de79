-- The request id the calling function was given; see current_actor.
create or replace function lending_private.current_request_id()
returns text
language sql
stable
begin atomic
  select nullif(current_setting('lending.request_id', true), '');
end;
