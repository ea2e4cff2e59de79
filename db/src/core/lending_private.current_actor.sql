-- Who is acting and for which request reach the triggers through transaction-local settings, set by the calling
-- function (lending_private.act_as), never through a separate round trip or a session setting: a pooled connection
-- carries nothing over to the next transaction. Without them (direct SQL), the session's user acts.
create or replace function lending_private.current_actor()
returns text
language sql
stable
begin atomic
  select coalesce(nullif(current_setting('lending.actor', true), ''), 'sql:' || session_user);
end;
