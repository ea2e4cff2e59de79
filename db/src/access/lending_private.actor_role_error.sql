create or replace function lending_private.actor_role_error(role text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when role is null then 'is required'
    when not exists (select from lending_private.actor_role as r where r.role = actor_role_error.role)
      then format('must be one of %s', (select string_agg(r.role, ', ' order by r.role)
                                          from lending_private.actor_role as r))
  end;
end;
$$;
comment on function lending_private.actor_role_error(text) is 'What is wrong with an actor''s role, or null.';
